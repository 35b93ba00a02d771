// IndexedDB: session, outbox, photos (ArrayBuffer), track fixes and the pulled data, via idb.
import { openDB } from "idb";

let opened;

export function db() {
  opened ||= openDB("gridpatrol", 1, {
    upgrade(database) {
      database.createObjectStore("meta");
      const outbox = database.createObjectStore("outbox", { keyPath: "seq", autoIncrement: true });
      outbox.createIndex("op_id", "op_id", { unique: true });
      outbox.createIndex("user_id", "user_id");
      database.createObjectStore("photos", { keyPath: "id" });
      const fixes = database.createObjectStore("fixes", { keyPath: ["patrol_id", "t"] });
      fixes.createIndex("patrol_id", "patrol_id");
      database.createObjectStore("data");
    },
  });
  return opened;
}

export async function getMeta(key, fallback = null) {
  const value = await (await db()).get("meta", key);
  return value === undefined ? fallback : value;
}

export async function setMeta(key, value) {
  return (await db()).put("meta", value, key);
}

export async function getData(key, fallback = null) {
  const value = await (await db()).get("data", key);
  return value === undefined ? fallback : value;
}

export async function setData(key, value) {
  return (await db()).put("data", value, key);
}

export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
