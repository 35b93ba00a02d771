// GridPatrol worker app service worker: precached app shell in a versioned cache, offline navigation.
const VERSION = "__VERSION__";
const CACHE = `gridpatrol-shell-${VERSION}`;
const TILE_CACHE = "gridpatrol-tiles";
const SHELL = __PRECACHE__;
const INDEX = "/app/index.html";

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL.map((url) => new Request(url, { cache: "reload" })))));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((key) => key.startsWith("gridpatrol-shell-") && key !== CACHE).map((key) => caches.delete(key))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "SKIP_WAITING") self.skipWaiting();
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin && request.destination === "image") {
    // Base map tiles: the ones kept for offline (Settings → keep my grids' map) first, else the network.
    event.respondWith(caches.match(request.url, { cacheName: TILE_CACHE }).then((hit) => hit || fetch(request)));
    return;
  }
  if (url.origin !== self.location.origin || !url.pathname.startsWith("/app/")) return;
  if (request.mode === "navigate") {
    event.respondWith(caches.match(INDEX, { cacheName: CACHE }).then((hit) => hit || fetch(request)));
    return;
  }
  event.respondWith(caches.match(request, { cacheName: CACHE, ignoreSearch: true }).then((hit) => hit || fetch(request)));
});
