// Copies front-end vendor files from node_modules into static/ so the app serves them itself.
import { cpSync, mkdirSync } from "node:fs";

const swagger = "node_modules/swagger-ui-dist";
mkdirSync("static/vendor/swagger-ui", { recursive: true });
for (const file of ["swagger-ui.css", "swagger-ui-bundle.js"]) {
  cpSync(`${swagger}/${file}`, `static/vendor/swagger-ui/${file}`);
}
console.log("  [web] static/vendor ready");
