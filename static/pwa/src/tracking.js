// The running patrol: one tap to start and stop, fixes into IndexedDB at once, the screen kept on.
import { db, getMeta, setMeta, uuid } from "./db.js";
import { enqueue, refreshCounts } from "./outbox.js";
import { get, set } from "./store.js";
import { drain, queueFixes } from "./sync.js";
import { inside } from "./geo.js";
import { figures, gridFrame, reasons } from "./figures.js";
import { rulesFor } from "./records.js";

let watchId = null;
let wakeLock = null;
const listeners = new Set();

export function onFix(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export async function resume() {
  const session = get().session;
  if (!session) return;
  const patrol = await getMeta(`patrol:${session.user.id}`);
  if (get().patrol && (!patrol || get().patrol.id !== patrol.id)) {
    unwatch();
    releaseAwake();
  }
  set({ patrol: patrol || null });
  if (patrol) {
    watch(patrol);
    keepAwake();
  }
}

export async function start(gridId) {
  const session = get().session;
  const patrol = { id: uuid(), grid_id: gridId, started_at: new Date().toISOString(), user_id: session.user.id };
  await enqueue("patrol.start", { id: patrol.id, grid_id: gridId, started_at: patrol.started_at });
  await setMeta(`patrol:${session.user.id}`, patrol);
  set({ patrol, lastFix: null, gpsError: null });
  watch(patrol);
  keepAwake();
  drain();
  return patrol;
}

export async function stop() {
  const patrol = get().patrol;
  if (!patrol) return;
  unwatch();
  releaseAwake();
  await queueFixes(patrol.user_id);
  const ended = { ...patrol, ended_at: new Date().toISOString() };
  await enqueue("patrol.finish", { patrol_id: patrol.id, ended_at: ended.ended_at });
  ended.verdict = await judge(ended);
  await setMeta(`patrol:${patrol.user_id}`, null);
  const done = await getMeta(`done:${patrol.user_id}`, []);
  await setMeta(`done:${patrol.user_id}`, [...done.slice(-20), ended]);
  set({ patrol: null, lastPatrol: ended });
  drain();
}

/** The figures and reasons of a patrol by the server's rules, computed on the phone from its fixes. */
export async function judge(patrol) {
  const grid = get().data.grids.find((g) => g.id === patrol.grid_id);
  if (!grid) return { reasons: [], figures: null };
  const rules = rulesFor(grid.id);
  const figs = figures(await fixesOf(patrol.id), gridFrame(grid.geometry, rules.cell_m), rules);
  const { fixes, stretches, ...summary } = figs;
  return { reasons: reasons(patrol, figs, rules), figures: summary };
}

export async function fixesOf(patrolId) {
  const list = await (await db()).getAllFromIndex("fixes", "patrol_id", patrolId);
  return list.sort((a, b) => a.t - b.t);
}

function watch(patrol) {
  if (watchId !== null || !navigator.geolocation) return;
  watchId = navigator.geolocation.watchPosition(
    (position) => record(patrol, position),
    (error) => set({ gpsError: error.message || String(error.code) }),
    { enableHighAccuracy: true, maximumAge: 0, timeout: 30000 },
  );
}

function unwatch() {
  if (watchId !== null) navigator.geolocation.clearWatch(watchId);
  watchId = null;
}

async function record(patrol, position) {
  const { coords } = position;
  const fix = {
    patrol_id: patrol.id,
    user_id: patrol.user_id,
    t: Math.round(position.timestamp || Date.now()),
    lon: round(coords.longitude),
    lat: round(coords.latitude),
    acc: Math.round((coords.accuracy || 0) * 10) / 10,
    speed: Number.isFinite(coords.speed) ? coords.speed : null,
    heading: Number.isFinite(coords.heading) ? coords.heading : null,
    queued: null,
  };
  await (await db()).put("fixes", fix);
  const grid = get().data.grids.find((g) => g.id === patrol.grid_id);
  set({ lastFix: fix, gpsError: null, outside: grid ? !inside([fix.lon, fix.lat], grid.geometry) : false });
  for (const listener of listeners) listener(fix);
  await refreshCounts();
}

const round = (value) => Math.round(value * 1e7) / 1e7;

async function keepAwake() {
  if (!("wakeLock" in navigator)) {
    set({ wakeLock: "unsupported" });
    return;
  }
  try {
    wakeLock = await navigator.wakeLock.request("screen");
    set({ wakeLock: "on" });
    wakeLock.addEventListener("release", () => set({ wakeLock: "off" }));
  } catch {
    set({ wakeLock: "off" });
  }
}

function releaseAwake() {
  if (wakeLock) wakeLock.release().catch(() => {});
  wakeLock = null;
}

document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible" && get().patrol) keepAwake();
});

export async function gridForHere(grids) {
  if (grids.length <= 1) return grids[0] || null;
  const here = get().lastFix || (await currentPosition().catch(() => null));
  return (here && grids.find((grid) => inside([here.lon, here.lat], grid.geometry))) || grids[0];
}

export function currentPosition(timeout = 8000) {
  return new Promise((resolve, reject) => {
    if (!navigator.geolocation) return reject(new Error("no geolocation"));
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({ lon: round(p.coords.longitude), lat: round(p.coords.latitude), acc: p.coords.accuracy }),
      reject,
      { enableHighAccuracy: true, maximumAge: 30000, timeout },
    );
  });
}
