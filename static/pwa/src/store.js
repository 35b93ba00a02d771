// A tiny shared state with subscriptions; screens re-render through useStore().
import { useEffect, useState } from "preact/hooks";

const state = {
  route: location.hash.slice(1) || "/",
  session: null, // {token, user, expired}
  online: navigator.onLine,
  pending: 0,
  attention: 0,
  foreign: 0, // queued by another user on this phone
  lastSync: null,
  syncing: false,
  syncError: null,
  data: { grids: [], records: {}, basemap: null },
  patrol: null, // the running patrol {id, grid_id, started_at, ...}
  updateReady: false,
  lang: "zh-CN",
  toast: null,
};
const listeners = new Set();

export function get() {
  return state;
}

export function set(patch) {
  Object.assign(state, patch);
  for (const listener of listeners) listener();
}

export function useStore() {
  const [, tick] = useState(0);
  useEffect(() => {
    const listener = () => tick((n) => n + 1);
    listeners.add(listener);
    return () => listeners.delete(listener);
  }, []);
  return state;
}

export function go(route) {
  if (location.hash.slice(1) !== route) location.hash = route;
  set({ route });
}

let toastTimer;
export function toast(message) {
  clearTimeout(toastTimer);
  set({ toast: message });
  toastTimer = setTimeout(() => set({ toast: null }), 3500);
}

addEventListener("hashchange", () => set({ route: location.hash.slice(1) || "/" }));
