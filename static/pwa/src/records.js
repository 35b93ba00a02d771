// Reading the pulled records for the screens, tolerant of what each feature sends.
import { getMeta, setMeta } from "./db.js";
import { get } from "./store.js";
import { shiftOf } from "./tracking.js";

const OPEN = new Set(["reported", "accepted", "dispatched", "in_progress", "resolved"]);

export function records(key) {
  return get().data.records[key] || [];
}

export function localDay(iso) {
  const d = new Date(iso);
  return `${d.getFullYear()}-${d.getMonth() + 1}-${d.getDate()}`;
}

export function categories() {
  const list = records("categories").filter((c) => c.active !== false);
  const parents = new Set(list.map((c) => c.parent_id).filter(Boolean));
  const leaves = list.filter((c) => !parents.has(c.id));
  return leaves.length ? leaves : list;
}

export async function categoriesRecentFirst() {
  const recent = await getMeta(`recentCategories:${get().session.user.id}`, []);
  const rank = (c) => {
    const index = recent.indexOf(c.id);
    return index === -1 ? recent.length + (c.sort ?? 0) / 1000 : index;
  };
  return [...categories()].sort((a, b) => rank(a) - rank(b));
}

export async function usedCategory(id) {
  const key = `recentCategories:${get().session.user.id}`;
  const recent = await getMeta(key, []);
  await setMeta(key, [id, ...recent.filter((other) => other !== id)].slice(0, 8));
}

export function dueDate(person) {
  return person.due_date || person.next_visit_due || person.next_due || person.due_on || null;
}

export function peopleDue(gridId) {
  const due = records("visits_due");
  const people = due.length ? due : records("people").filter((p) => p.due || dueDate(p));
  const today = new Date();
  return people
    .filter((p) => gridId === undefined || p.grid_id === undefined || p.grid_id === gridId)
    .filter((p) => p.due === true || !dueDate(p) || new Date(dueDate(p)) <= new Date(today.getTime() + 86400000))
    .map((p) => ({ ...p, person_id: p.person_id ?? p.id }));
}

export function openIncidents(userId) {
  return records("incidents").filter(
    (i) => OPEN.has(i.status) && (i.reporter_id === undefined || i.reporter_id === userId),
  );
}

// am/pm status of today's patrols in a grid: server records, ones finished on this phone, the running one.
export function shiftStatus(gridId, donePatrols) {
  const today = localDay(new Date().toISOString());
  const status = { am: "notYet", pm: "notYet" };
  const mark = (patrol, value) => {
    if (!patrol.started_at || localDay(patrol.started_at) !== today || patrol.grid_id !== gridId) return;
    const shift = patrol.shift || shiftOf(new Date(patrol.started_at));
    if (status[shift] !== "done") status[shift] = value;
  };
  for (const patrol of records("patrols")) mark(patrol, patrol.ended_at ? "done" : "running");
  for (const patrol of donePatrols) mark(patrol, "done");
  if (get().patrol) mark(get().patrol, "running");
  return status;
}
