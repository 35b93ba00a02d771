// Reading the pulled records for the screens, tolerant of what each feature sends.
import { getMeta, setMeta } from "./db.js";
import { get } from "./store.js";
import { DEFAULT_RULES, shiftFor } from "./figures.js";

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

/** The leaves the worker used lately, most recent first (at most `n`). */
export async function recentCategories(n = 6) {
  const recent = await getMeta(`recentCategories:${get().session.user.id}`, []);
  const byCode = new Map(categories().map((c) => [c.code, c]));
  return recent.map((code) => byCode.get(code)).filter(Boolean).slice(0, n);
}

/** The top-level categories (大类) that have reportable leaves, in catalogue order. */
export function categoryGroups() {
  const all = records("incident_categories").filter((c) => c.active !== false);
  const leaves = categories();
  const used = new Set(leaves.map((c) => c.parent_id));
  return all
    .filter((c) => !c.parent_id && used.has(c.id))
    .sort((a, b) => (a.sort ?? 0) - (b.sort ?? 0) || a.code.localeCompare(b.code))
    .map((group) => ({ ...group, leaves: leaves.filter((c) => c.parent_id === group.id) }));
}

export async function usedCategory(code) {
  const key = `recentCategories:${get().session.user.id}`;
  const recent = await getMeta(key, []);
  await setMeta(key, [code, ...recent.filter((other) => other !== code)].slice(0, 8));
}

export function dueDate(person) {
  return person.next_due_date || null;
}

/** Days a person's visit is overdue (> 0), due today (0), or not yet due (< 0); null without a due date. */
export function overdueDays(person) {
  const due = dueDate(person);
  if (!due) return null;
  return Math.round((Date.parse(isoToday()) - Date.parse(due)) / 86400000);
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

/** The patrol rules of a grid as the server sent them (shift windows, minimums, GPS quality, time zone). */
export function rulesFor(gridId) {
  const row = records("patrol_rules").find((r) => r.grid_id === gridId);
  return { ...DEFAULT_RULES, ...(row || {}) };
}

/** The calendar day ("YYYY-MM-DD") of an instant in a time zone. */
export function dayIn(iso, timezone) {
  return new Intl.DateTimeFormat("en-CA", { timeZone: timezone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date(iso));
}

const RANK = { counted: 5, running: 4, provisional: 3, notCounted: 2, notYet: 1 };

/**
 * Today's am/pm state of a grid, by the server's verdicts: counted, not counted (with the reasons of the
 * closest try), running, provisional (finished on this phone, judged here by the same rules, not yet
 * confirmed by the server) or not yet patrolled.
 */
export function shiftStatus(gridId, donePatrols, running = null) {
  const rules = rulesFor(gridId);
  const today = dayIn(new Date().toISOString(), rules.timezone);
  const status = { am: { state: "notYet", reasons: [] }, pm: { state: "notYet", reasons: [] } };
  const offer = (patrol, state, reasons = []) => {
    if (!patrol.started_at || patrol.grid_id !== gridId || dayIn(patrol.started_at, rules.timezone) !== today) return;
    const shift = patrol.shift || shiftFor(patrol.started_at, rules).shift;
    const current = status[shift];
    const better = RANK[state] > RANK[current.state] || (state === current.state && reasons.length < current.reasons.length);
    if (better) status[shift] = { state, reasons };
  };
  const judged = new Set();
  for (const feature of records("patrols")) {
    const patrol = feature.properties || feature;
    if (!patrol.ended_at) offer(patrol, "running");
    else if (patrol.valid === true) offer(patrol, "counted");
    else if (patrol.valid === false) offer(patrol, "notCounted", patrol.invalid_reasons || []);
    if (patrol.ended_at && patrol.valid !== null && patrol.valid !== undefined) judged.add(String(patrol.id));
  }
  for (const patrol of donePatrols) {
    if (!judged.has(String(patrol.id))) offer(patrol, "provisional", (patrol.verdict && patrol.verdict.reasons) || []);
  }
  const open = running || get().patrol;
  if (open) offer(open, "running");
  return status;
}
