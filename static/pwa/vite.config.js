// Builds the worker app from static/pwa/src into static/pwa/dist, served by Flask at /app/.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const root = fileURLToPath(new URL(".", import.meta.url));

export default defineConfig({
  root,
  base: "/app/",
  logLevel: "warn",
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2019",
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
});
