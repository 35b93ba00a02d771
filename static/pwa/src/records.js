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

// Reportable categories are the active leaves (小类) of the two-level catalogue.
export function categories() {
  const list = records("incident_categories").filter((c) => c.active !== false);
  const parents = new Set(list.map((c) => c.parent_id).filter(Boolean));
  const leaves = list.filter((c) => !parents.has(c.id));
  return (leaves.length ? leaves : list).sort((a, b) => (a.sort ?? 0) - (b.sort ?? 0) || a.code.localeCompare(b.code));
}

export async function categoriesRecentFirst() {
  const recent = await getMeta(`recentCategories:${get().session.user.id}`, []);
  const list = categories();
  const rank = (c) => {
    const index = recent.indexOf(c.code);
    return index === -1 ? recent.length + list.indexOf(c) : index;
  };
  return [...list].sort((a, b) => rank(a) - rank(b));
}

export async function usedCategory(code) {
  const key = `recentCategories:${get().session.user.id}`;
  const recent = await getMeta(key, []);
  await setMeta(key, [code, ...recent.filter((other) => other !== code)].slice(0, 8));
}

export function dueDate(person) {
  return person.next_due_date || null;
}

const isoToday = () => {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
};

// My people, most overdue first; `dueOnly` keeps those due today or earlier.
export function people({ gridId, dueOnly = false } = {}) {
  const today = isoToday();
  return records("people")
    .filter((p) => p.active !== false && (gridId === undefined || p.grid_id === gridId))
    .filter((p) => !dueOnly || (dueDate(p) && dueDate(p) <= today))
    .sort((a, b) => (dueDate(a) || "9999").localeCompare(dueDate(b) || "9999"));
}

export function peopleDue(gridId) {
  return people({ gridId, dueOnly: true });
}

export function openIncidents(userId) {
  return records("incidents").filter((i) => OPEN.has(i.status) && (!i.reporter || i.reporter.id === userId));
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
  for (const feature of records("patrols")) {
    const patrol = feature.properties || feature;
    mark(patrol, patrol.ended_at ? "done" : "running");
  }
  for (const patrol of donePatrols) mark(patrol, "done");
  if (get().patrol) mark(get().patrol, "running");
  return status;
}
