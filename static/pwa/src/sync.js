// Draining the outbox (photos first, then batched operations) and pulling the worker's data.
import { ApiError, Offline, request } from "./api.js";
import { db, getData, getMeta, setData, setMeta, uuid } from "./db.js";
import { get, set } from "./store.js";
import { items, refreshCounts, remove, statusOf, update } from "./outbox.js";
import { setTimeZone, t } from "./i18n.js";
import { toast } from "./store.js";

const BATCH = 50;
const POINTS_PER_OP = 500;
let running = null;
let again = false;

// One drain at a time; a request during a drain (a record just saved) runs one more pass after it.
export function drain() {
  if (running) {
    again = true;
    return running;
  }
  running = (async () => {
    do {
      again = false;
      await run();
    } while (again && get().online);
  })().finally(() => {
    running = null;
  });
  return running;
}

async function run() {
  const session = get().session;
  if (!session || !session.token || session.expired) return;
  set({ syncing: true, syncError: null });
  try {
    await queueFixes(session.user.id);
    await pushOutbox(session.user.id);
    await pruneFixes();
    await pull();
    const lastSync = new Date().toISOString();
    await setMeta(`lastSync:${session.user.id}`, lastSync);
    set({ lastSync, online: true });
  } catch (error) {
    set({ syncError: error instanceof Offline ? "offline" : error.message });
    if (error instanceof Offline) set({ online: false });
  } finally {
    await refreshCounts();
    set({ syncing: false });
  }
}

// Fixes recorded since the last drain become patrol.points operations, in recording order.
export async function queueFixes(userId) {
  const database = await db();
  const fixes = (await database.getAll("fixes")).filter((fix) => !fix.queued && fix.user_id === userId);
  const byPatrol = new Map();
  for (const fix of fixes) {
    if (!byPatrol.has(fix.patrol_id)) byPatrol.set(fix.patrol_id, []);
    byPatrol.get(fix.patrol_id).push(fix);
  }
  for (const [patrolId, list] of byPatrol) {
    list.sort((a, b) => a.t - b.t);
    for (let start = 0; start < list.length; start += POINTS_PER_OP) {
      const chunk = list.slice(start, start + POINTS_PER_OP);
      const tx = database.transaction(["outbox", "fixes"], "readwrite");
      const opId = uuid();
      tx.objectStore("outbox").add({
        op_id: opId,
        op: "patrol.points",
        payload: {
          patrol_id: patrolId,
          points: chunk.map((f) => [f.t, f.lon, f.lat, f.acc, f.speed ?? null, f.heading ?? null]),
        },
        photos: [],
        label: `${chunk.length}`,
        user_id: userId,
        status: "pending",
        created_at: new Date().toISOString(),
        attempts: 0,
      });
      for (const fix of chunk) tx.objectStore("fixes").put({ ...fix, queued: opId });
      await tx.done;
    }
  }
}

// Fixes already sent are kept a day for the map of today's track, then dropped from the phone.
async function pruneFixes() {
  const database = await db();
  const running = get().patrol && get().patrol.id;
  const sent = new Set((await database.getAll("outbox")).map((item) => item.op_id));
  const old = Date.now() - 36 * 3600 * 1000;
  const tx = database.transaction("fixes", "readwrite");
  for (const fix of await tx.store.getAll()) {
    if (fix.queued && !sent.has(fix.queued) && fix.t < old && fix.patrol_id !== running) tx.store.delete([fix.patrol_id, fix.t]);
  }
  await tx.done;
}

async function pushOutbox(userId) {
  const pending = (await items(userId)).filter((item) => item.status === "pending").sort((a, b) => a.seq - b.seq);
  const ready = [];
  for (const item of pending) {
    if (await uploadPhotos(item)) ready.push(item);
  }
  for (let start = 0; start < ready.length; start += BATCH) {
    const batch = ready.slice(start, start + BATCH);
    const operations = batch.map((item) => ({ op_id: item.op_id, op: item.op, payload: withPhotos(item) }));
    const answer = await pushBatch(operations, batch);
    if (!answer) return;
    const byId = new Map(answer.results.map((result) => [result.op_id, result]));
    for (const item of batch) {
      const result = byId.get(item.op_id);
      if (!result) continue;
      if (result.status === "applied" || result.status === "duplicate") {
        await remove(item);
        await remember(item, result.result);
      } else {
        await update({ ...item, status: "rejected", code: result.code, message: result.message, errors: result.errors });
      }
    }
  }
}

async function pushBatch(operations, batch) {
  try {
    return await request("POST", "/api/v1/sync/push", { json: { operations }, timeout: 60000 });
  } catch (error) {
    if (error instanceof ApiError && error.status === 422) {
      // The whole batch was malformed: mark each for attention rather than retrying forever.
      for (const item of batch) {
        await update({ ...item, status: "rejected", code: error.body.code, message: error.message, errors: error.body.errors });
      }
      return null;
    }
    throw error;
  }
}

function withPhotos(item) {
  if (!item.photo_ids) return item.payload;
  return { ...item.payload, photo_ids: item.photo_ids };
}

async function uploadPhotos(item) {
  if (!item.photos || !item.photos.length || item.photo_ids) return true;
  const database = await db();
  const ids = [];
  for (const localId of item.photos) {
    const photo = await database.get("photos", localId);
    if (!photo) continue;
    if (!photo.server_id) {
      const form = new FormData();
      form.append("file", new Blob([photo.buffer], { type: photo.type }), `${localId}.jpg`);
      try {
        const answer = await request("POST", "/api/v1/photos", { form, timeout: 120000 });
        photo.server_id = answer.id;
        await database.put("photos", photo);
      } catch (error) {
        if (error instanceof ApiError && error.status !== 401 && error.status < 500) {
          await update({ ...item, status: "rejected", code: error.body.code, message: error.message, errors: error.body.errors });
          return false;
        }
        throw error;
      }
    }
    ids.push(photo.server_id);
  }
  item.photo_ids = ids;
  await update(item);
  return true;
}

// What the server answered stays on the phone (home screen shows my incidents and visits at once).
async function remember(item, result) {
  if (item.op === "incident.report" && result) await upsert("incidents", [result]);
  if (item.op === "patrol.finish" && result) await upsert("patrols", [result]);
}

async function upsert(key, list) {
  const data = get().data;
  const records = { ...data.records };
  const byId = new Map((records[key] || []).map((record) => [String(record.id), record]));
  for (const record of list) {
    if (record && record.id !== undefined) byId.set(String(record.id), { ...byId.get(String(record.id)), ...record });
  }
  records[key] = [...byId.values()];
  const next = { ...data, records };
  await setData(`data:${get().session.user.id}`, next);
  set({ data: next });
}

export async function pull() {
  const userId = get().session.user.id;
  const cursor = await getMeta(`cursor:${userId}`);
  const url = cursor ? `/api/v1/sync/pull?since=${encodeURIComponent(cursor)}` : "/api/v1/sync/pull";
  const answer = await request("GET", url, { timeout: 60000 });
  const data = (await getData(`data:${userId}`)) || { grids: [], records: {} };
  const grids = new Map(data.grids.map((grid) => [grid.id, grid]));
  for (const grid of answer.grids) grids.set(grid.id, grid);
  const records = answer.full ? {} : { ...data.records };
  for (const [key, list] of Object.entries(answer.records || {})) {
    const byId = new Map((records[key] || []).map((record) => [String(record.id ?? JSON.stringify(record)), record]));
    for (const record of list) byId.set(String(record.id ?? JSON.stringify(record)), record);
    records[key] = [...byId.values()];
  }
  const next = {
    grids: answer.grid_ids.map((id) => grids.get(id)).filter(Boolean),
    records,
    basemap: answer.basemap,
    timezone: answer.timezone,
    user: answer.user,
  };
  setTimeZone(answer.timezone);
  await setData(`data:${userId}`, next);
  await setMeta(`cursor:${userId}`, answer.cursor);
  set({ data: next });
}

/** After a record is saved on the phone: try to send it, and say truthfully where it is. */
export async function sendAndTell(item) {
  toast(t("savedSending"));
  await drain();
  const status = await statusOf(item.op_id);
  toast(status === "sent" ? t("sent") : status === "rejected" ? t("sentRejected") : t("savedToOutbox"));
}

/** The "sync now" button: sync, then say what happened. */
export async function syncNow() {
  await drain();
  const { syncError, pending } = get();
  if (syncError === "offline") toast(t("syncOffline", { n: pending }));
  else if (syncError) toast(t("syncFailed", { message: syncError }));
  else toast(t("synced"));
}

export async function loadLocal() {
  const session = get().session;
  if (!session) return;
  const data = await getData(`data:${session.user.id}`);
  const lastSync = await getMeta(`lastSync:${session.user.id}`);
  if (data) {
    setTimeZone(data.timezone);
    set({ data });
  }
  set({ lastSync });
  await refreshCounts();
}

export function installTriggers() {
  addEventListener("online", () => {
    set({ online: true });
    drain();
  });
  addEventListener("offline", () => set({ online: false }));
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") drain();
  });
  // While marked offline (the server was unreachable though the phone had a network), look again
  // every 15 s so the header does not stay "offline" once the server answers.
  setInterval(() => {
    if (!get().online) drain();
  }, 15000);
  setInterval(() => {
    if (get().online && (get().patrol || get().pending)) drain();
  }, 30000);
}
