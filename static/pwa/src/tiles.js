// Keeping the base map of the worker's grids on the phone, so the map shows streets offline too.
// The service worker answers tile requests from this cache first (sw.template.js, TILE_CACHE).
import { bbox } from "./geo.js";
import { wgsToGcj } from "./geo.js";

export const TILE_CACHE = "gridpatrol-tiles";
const MAX_TILES = 3000;

function tileOf([lon, lat], z) {
  const n = 2 ** z;
  const rad = (lat * Math.PI) / 180;
  return [
    Math.floor(((lon + 180) / 360) * n),
    Math.floor(((1 - Math.log(Math.tan(rad) + 1 / Math.cos(rad)) / Math.PI) / 2) * n),
  ];
}

/** The URL Leaflet asks for a tile ({s} chosen as Leaflet does: (x + y) mod the subdomains). */
export function tileUrl(template, subdomains, z, x, y) {
  const subs = subdomains || "abc";
  return template
    .replace("{s}", subs[Math.abs(x + y) % subs.length])
    .replace("{z}", z)
    .replace("{x}", x)
    .replace("{y}", y)
    .replace("{r}", "");
}

/** Every tile URL covering the grids from zoom `from` to the base map's maximum. */
export function tilesFor(grids, basemap, from = 14) {
  const templates = [basemap.url, basemap.labels_url].filter(Boolean);
  const to = Math.min(basemap.max_zoom || 18, 18);
  const urls = new Set();
  for (const grid of grids) {
    let [minX, minY, maxX, maxY] = bbox(grid.geometry);
    if (basemap.crs === "gcj02") [[minX, minY], [maxX, maxY]] = [wgsToGcj([minX, minY]), wgsToGcj([maxX, maxY])];
    for (let z = from; z <= to; z++) {
      const [x0, y0] = tileOf([minX, maxY], z);
      const [x1, y1] = tileOf([maxX, minY], z);
      for (let x = x0; x <= x1; x++) {
        for (let y = y0; y <= y1; y++) for (const template of templates) urls.add(tileUrl(template, basemap.subdomains, z, x, y));
      }
    }
  }
  return [...urls].slice(0, MAX_TILES);
}

/** Fetch and keep the tiles of the grids; calls progress(done, total). Answers how many are kept. */
export async function saveTiles(grids, basemap, progress = () => {}) {
  const urls = tilesFor(grids, basemap);
  const cache = await caches.open(TILE_CACHE);
  let done = 0;
  let kept = 0;
  const queue = [...urls];
  const worker = async () => {
    while (queue.length) {
      const url = queue.shift();
      try {
        const response = await fetch(url, { mode: "no-cors", credentials: "omit" });
        if (response.type === "opaque" || response.ok) {
          await cache.put(url, response);
          kept += 1;
        }
      } catch {
        // an unreachable tile stays unsaved; the rest go on
      }
      done += 1;
      progress(done, urls.length);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return { kept, total: urls.length };
}
