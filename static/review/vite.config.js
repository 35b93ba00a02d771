import { defineConfig } from "vite";

// Served by Flask at /review/; everything bundled, nothing from a CDN (the CSP allows only 'self').
export default defineConfig({
  base: "/review/",
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 1500, modulePreload: { polyfill: false } },
});
