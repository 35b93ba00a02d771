// The outbox: every record goes here first, tagged with the user who made it.
import { db, uuid } from "./db.js";
import { get, set } from "./store.js";

export async function enqueue(op, payload, { photos = [], label = "" } = {}) {
  const user = get().session.user;
  const item = {
    op_id: uuid(),
    op,
    payload,
    photos, // local photo ids to upload first; their server ids go into payload.photo_ids
    label,
    user_id: user.id,
    status: "pending",
    created_at: new Date().toISOString(),
    attempts: 0,
  };
  await (await db()).add("outbox", item);
  await refreshCounts();
  return item;
}

export async function items(userId) {
  return (await db()).getAllFromIndex("outbox", "user_id", userId);
}

export async function update(item) {
  await (await db()).put("outbox", item);
}

export async function remove(item) {
  const database = await db();
  const tx = database.transaction(["outbox", "photos"], "readwrite");
  await tx.objectStore("outbox").delete(item.seq);
  for (const id of item.photos || []) await tx.objectStore("photos").delete(id);
  await tx.done;
}

/** The record an operation belongs to: a patrol's start, fixes and finish are one record. */
export function recordKey(item) {
  const payload = item.payload || {};
  if (item.op.startsWith("patrol.")) return `patrol:${payload.patrol_id || payload.id}`;
  return `${item.op}:${payload.id || item.op_id}`;
}

/** The worker's records waiting to be sent, one entry per record (oldest first), with their operations. */
export async function pendingRecords(userId) {
  const database = await db();
  const records = new Map();
  const add = (key, op, at, label) => {
    if (!records.has(key)) records.set(key, { key, op, at, label, ops: 0 });
    const record = records.get(key);
    record.ops += 1;
    if (label && !record.label) record.label = label;
  };
  for (const item of await database.getAllFromIndex("outbox", "user_id", userId)) {
    if (item.status === "pending") add(recordKey(item), item.op.split(".")[0], item.created_at, item.label);
  }
  for (const fix of await database.getAll("fixes")) {
    if (!fix.queued && fix.user_id === userId) add(`patrol:${fix.patrol_id}`, "patrol", new Date(fix.t).toISOString(), "");
  }
  return [...records.values()].sort((a, b) => String(a.at).localeCompare(String(b.at)));
}

export async function refreshCounts() {
  const session = get().session;
  const all = await (await db()).getAll("outbox");
  const mine = session ? all.filter((item) => item.user_id === session.user.id) : [];
  const waiting = session ? await pendingRecords(session.user.id) : [];
  set({
    pending: waiting.length,
    attention: mine.filter((item) => item.status === "rejected").length,
    foreign: all.length - mine.length,
  });
}

/** "pending", "rejected" or "sent" (no longer in the outbox) for one operation. */
export async function statusOf(opId) {
  const item = (await (await db()).getAll("outbox")).find((other) => other.op_id === opId);
  return item ? item.status : "sent";
}

export async function resend(item, payload) {
  await update({ ...item, payload, status: "pending", message: null, errors: null });
  await refreshCounts();
}
