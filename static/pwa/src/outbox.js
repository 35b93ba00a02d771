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

export async function refreshCounts() {
  const session = get().session;
  const all = await (await db()).getAll("outbox");
  const mine = session ? all.filter((item) => item.user_id === session.user.id) : [];
  const unsentFixes = session ? await countUnqueuedFixes() : 0;
  set({
    pending: mine.filter((item) => item.status === "pending").length + (unsentFixes ? 1 : 0),
    attention: mine.filter((item) => item.status === "rejected").length,
    foreign: all.length - mine.length,
  });
}

async function countUnqueuedFixes() {
  const fixes = await (await db()).getAll("fixes");
  return fixes.filter((fix) => !fix.queued).length;
}

export async function resend(item, payload) {
  await update({ ...item, payload, status: "pending", message: null, errors: null });
  await refreshCounts();
}
