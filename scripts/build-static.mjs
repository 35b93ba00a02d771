// Builds the front end into files the app serves itself: swagger-ui for /api/docs, the worker PWA for /app/.
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { deflateSync, gzipSync } from "node:zlib";
import { build } from "vite";

const swagger = "node_modules/swagger-ui-dist";
mkdirSync("static/vendor/swagger-ui", { recursive: true });
for (const file of ["swagger-ui.css", "swagger-ui-bundle.js"]) {
  cpSync(`${swagger}/${file}`, `static/vendor/swagger-ui/${file}`);
}
console.log("  [web] static/vendor ready");

const PWA = "static/pwa";
const CATALOGUE = "patrol/messages";
const DIST = `${PWA}/dist`;
checkMessages();
const version = sourceHash();
await build({ configFile: `${PWA}/vite.config.js`, define: { __APP_VERSION__: JSON.stringify(version) } });
writeIcons();
writeServiceWorker();
writeGzipped();
console.log(`  [web] static/pwa/dist ready (version ${version})`);

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

function sourceHash() {
  const hash = createHash("sha256");
  const catalogues = files(CATALOGUE).filter((path) => path.endsWith(".json"));
  for (const path of [...files(`${PWA}/src`), ...catalogues, `${PWA}/index.html`, `${PWA}/sw.template.js`, "package-lock.json"].sort()) {
    hash.update(path).update(readFileSync(path));
  }
  return hash.digest("hex").slice(0, 12);
}

// Every t("key") used in the sources exists in both catalogues (patrol/messages, as "pwa.<key>" or a
// server code), so no screen shows a raw key.
function checkMessages() {
  const [zh, en] = ["zh-CN", "en"].map((lang) => JSON.parse(readFileSync(`${CATALOGUE}/${lang}.json`, "utf8")));
  const used = new Set();
  for (const path of files(`${PWA}/src`)) {
    for (const match of readFileSync(path, "utf8").matchAll(/\bt\("([^"]+)"/g)) used.add(match[1]);
  }
  const has = (catalogue, key) => `pwa.${key}` in catalogue || key in catalogue;
  const missing = [...used].filter((key) => !has(zh, key) || !has(en, key));
  if (missing.length) throw new Error(`message catalogue lacks: ${missing.join(", ")}`);
}

function writeServiceWorker() {
  const shell = files(DIST)
    .map((path) => `/app/${relative(DIST, path).split("\\").join("/")}`)
    .filter((url) => url !== "/app/sw.js" && !url.endsWith("-maskable.png") && !url.endsWith(".gz"))
    .sort();
  const hash = createHash("sha256");
  for (const url of shell) hash.update(url).update(readFileSync(join(DIST, url.slice("/app/".length))));
  const source = readFileSync(`${PWA}/sw.template.js`, "utf8")
    .replace("__VERSION__", hash.digest("hex").slice(0, 12))
    .replace("__PRECACHE__", JSON.stringify(["/app/", ...shell], null, 1));
  writeFileSync(`${DIST}/sw.js`, source);
}

// Pre-compressed copies of the hashed assets; the app (or nginx gzip_static) sends them to browsers that accept gzip.
function writeGzipped() {
  for (const path of files(`${DIST}/assets`)) {
    if (/\.(js|css)$/.test(path)) writeFileSync(`${path}.gz`, gzipSync(readFileSync(path), { level: 9 }));
  }
}

// Icons drawn here (a shield with a grid) so the repository holds no binary files.
function writeIcons() {
  mkdirSync(`${DIST}/icons`, { recursive: true });
  writeFileSync(`${DIST}/icons/icon-192.png`, png(192, 0.0));
  writeFileSync(`${DIST}/icons/icon-512.png`, png(512, 0.0));
  writeFileSync(`${DIST}/icons/icon-512-maskable.png`, png(512, 0.1));
}

function png(size, safe) {
  // Green field, a white frame with a 3×3 grid inside (kept within the maskable safe zone).
  const raw = Buffer.alloc((size * 4 + 1) * size);
  const low = 0.2 + safe;
  const high = 0.8 - safe;
  const stroke = 0.035;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const u = x / size;
      const v = y / size;
      const within = u >= low && u <= high && v >= low && v <= high;
      const step = (high - low) / 3;
      const onLine = (w) => [0, 1, 2, 3].some((k) => Math.abs(w - (low + k * step)) < stroke / 2);
      const white = within && (onLine(u) || onLine(v));
      raw.set(white ? [255, 255, 255, 255] : [11, 110, 79, 255], y * (size * 4 + 1) + 1 + x * 4);
    }
  }
  const chunk = (type, data) => {
    const body = Buffer.concat([Buffer.from(type), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 6, 0, 0, 0], 8);
  const signature = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]);
  return Buffer.concat([signature, chunk("IHDR", header), chunk("IDAT", deflateSync(raw)), chunk("IEND", Buffer.alloc(0))]);
}

function crc32(buffer) {
  let crc = 0xffffffff;
  for (const byte of buffer) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}
