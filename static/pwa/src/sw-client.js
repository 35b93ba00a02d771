// Registers /app/sw.js and offers "new version — reload" when a newer shell is waiting.
import { set } from "./store.js";

let waiting = null;

export function registerWorker() {
  if (!("serviceWorker" in navigator)) return;
  let reloading = false;
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (waiting && !reloading) {
      reloading = true;
      location.reload();
    }
  });
  navigator.serviceWorker
    .register("/app/sw.js", { scope: "/app/" })
    .then((registration) => {
      const offer = (worker) => {
        if (worker && navigator.serviceWorker.controller) {
          waiting = worker;
          set({ updateReady: true });
        }
      };
      offer(registration.waiting);
      registration.addEventListener("updatefound", () => {
        const worker = registration.installing;
        worker.addEventListener("statechange", () => worker.state === "installed" && offer(worker));
      });
      document.addEventListener("visibilitychange", () => document.visibilityState === "visible" && registration.update().catch(() => {}));
    })
    .catch(() => {});
}

export function applyUpdate() {
  if (waiting) waiting.postMessage({ type: "SKIP_WAITING" });
}
