// One incident in a dialog: photos, place, reporter, category, department, deadline and time left,
// history, possible duplicates; each workflow action as a form asking for what it needs.
import { ApiError, download, get, post } from "./api.js";
import { serverMessage, t } from "./i18n.js";
import { el } from "./dom.js";
import { localDateTime } from "./time.js";

const NEEDS_NOTE = new Set(["reject", "send_back", "reopen", "resolve"]);

let departments = null;
let categories = null;

async function reference() {
  departments ||= await get("/api/v1/incidents/departments").catch(() => []);
  categories ||= await get("/api/v1/incidents/categories").catch(() => []);
  return { departments, categories };
}

/** Hours left to the deadline (negative: overdue), in words. */
function timeLeft(dueAt) {
  if (!dueAt) return "";
  const hours = Math.round((new Date(dueAt).getTime() - Date.now()) / 3600000);
  return hours >= 0 ? t("detail.left", { hours }) : t("detail.overdueBy", { hours: -hours });
}

function dialog() {
  let node = document.querySelector("#incident-dialog");
  if (!node) {
    node = el("dialog", { id: "incident-dialog", class: "incident-dialog" });
    document.body.append(node);
  }
  return node;
}

/** Open the incident's dialog; `action` opens that action's form at once. */
export async function openIncident(id, { action = null, onChanged = () => {}, flash = () => {} } = {}) {
  const node = dialog();
  const [incident, ref] = await Promise.all([get(`/api/v1/incidents/${id}`), reference()]);
  render(node, incident, ref, { action, onChanged, flash });
  if (!node.open) node.showModal();
}

function facts(incident) {
  const category = incident.category.parent_name ? `${incident.category.parent_name} · ${incident.category.name}` : incident.category.name;
  const rows = [
    [t("detail.category"), category],
    [t("detail.status"), t(`incident_status.${incident.status}`)],
    [t("detail.grid"), incident.grid.name],
    [t("detail.reporter"), incident.reporter ? incident.reporter.full_name : t(`detail.source.${incident.source}`)],
    [t("detail.reported"), localDateTime(incident.reported_at)],
    [t("detail.department"), incident.department ? incident.department.name : t("detail.none")],
    [t("detail.due"), incident.due_at ? `${localDateTime(incident.due_at)}（${timeLeft(incident.due_at)}）` : t("detail.none")],
  ];
  const point = incident.location && incident.location.coordinates;
  if (point) rows.push([t("detail.place"), `${point[1].toFixed(5)}, ${point[0].toFixed(5)}`]);
  return el("dl", { class: "facts", "data-testid": "incident-facts" }, rows.map(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
}

function photos(incident) {
  if (!incident.photo_ids || !incident.photo_ids.length) return null;
  const box = el("div", { class: "photos" });
  for (const photoId of incident.photo_ids) {
    download(`/api/v1/photos/${photoId}`)
      .then(({ blob }) => {
        const url = URL.createObjectURL(blob);
        box.append(el("a", { href: url, target: "_blank", rel: "noopener" }, el("img", { src: url, alt: "", class: "thumb" })));
      })
      .catch(() => {});
  }
  return box;
}

function history(incident) {
  return el(
    "ol",
    { class: "history", "data-testid": "incident-history" },
    (incident.history || []).map((event) =>
      el(
        "li",
        {},
        `${localDateTime(event.at)} ${t(`incident_action.${event.action}`)}`,
        event.to_status ? ` → ${t(`incident_status.${event.to_status}`)}` : "",
        event.actor_name ? ` · ${event.actor_name}` : "",
        event.note ? el("div", { class: "muted" }, event.note) : null,
      ),
    ),
  );
}

function render(node, incident, ref, options) {
  const close = el("button", { type: "button", class: "close", onclick: () => node.close() }, t("detail.close"));
  const actions = el(
    "div",
    { class: "actions" },
    incident.allowed_actions.filter((action) => action !== "merge" || (incident.possible_duplicates || []).length).map((action) =>
      el("button", { type: "button", "data-action": action, onclick: () => showForm(node, incident, ref, action, options) }, t(`action.${action}`)),
    ),
  );
  const duplicates = incident.possible_duplicates || [];
  const parts = [
    el("h2", {}, t("detail.title"), close),
    facts(incident),
    incident.description ? el("p", { class: "description" }, incident.description) : null,
    photos(incident),
    el("h3", {}, t("detail.history")),
    history(incident),
    duplicates.length ? el("h3", {}, t("detail.duplicates")) : null,
    duplicates.length
      ? el("ul", { class: "plain" }, duplicates.map((d) => el("li", {}, `${localDateTime(d.reported_at)} · ${d.distance_m} m · ${t(`incident_status.${d.status}`)} ${d.description || ""}`)))
      : null,
    el("div", { class: "form-slot" }),
    actions,
  ];
  node.replaceChildren(...parts.filter((part) => part !== null && part !== undefined));
  node.dataset.status = incident.status;
  if (options.action && incident.allowed_actions.includes(options.action)) showForm(node, incident, ref, options.action, options);
}

/** The form of one action: department for dispatch (default from the category), a reason where one is needed,
 * the duplicate's target for merge; then a confirmation button. */
function showForm(node, incident, ref, action, { onChanged, flash }) {
  const slot = node.querySelector(".form-slot");
  const fields = [];
  const body = { action };
  if (action === "dispatch") {
    const category = ref.categories.find((c) => c.code === incident.category.code);
    const parent = ref.categories.find((c) => c.code === incident.category.parent_code);
    const defaultCode = (category && category.department_code) || (parent && parent.department_code);
    const select = el(
      "select",
      { name: "department_id", required: true },
      ref.departments.filter((d) => d.active !== false).map((d) => el("option", { value: d.id, selected: d.code === defaultCode ? "selected" : null }, d.name)),
    );
    fields.push(el("label", {}, t("detail.department"), select));
    if (incident.due_at) fields.push(el("p", { class: "muted" }, t("detail.dueShown", { due: localDateTime(incident.due_at) })));
    body.read = () => ({ department_id: Number(select.value) });
  } else if (action === "merge") {
    const select = el("select", { name: "into_id" }, (incident.possible_duplicates || []).map((d) => el("option", { value: d.id }, `${localDateTime(d.reported_at)} ${d.description || ""}`)));
    fields.push(el("label", {}, t("detail.mergeInto"), select));
    body.read = () => ({ into_id: select.value });
  }
  const note = NEEDS_NOTE.has(action) ? el("textarea", { name: "note", rows: 3, required: true, placeholder: t("queue.note") }) : null;
  if (note) fields.push(el("label", {}, t("detail.reason"), note));
  const problem = el("p", { class: "error" });
  const confirm = el("button", { type: "submit", class: "primary", "data-confirm": action }, t("detail.confirm", { action: t(`action.${action}`) }));
  const form = el("form", { class: "action-form", "data-form": action }, el("h3", {}, t(`action.${action}`)), fields, problem, confirm);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (note && !note.value.trim()) {
      problem.textContent = t("detail.reasonRequired");
      return;
    }
    const payload = { action, ...(body.read ? body.read() : {}), ...(note ? { note: note.value.trim() } : {}) };
    try {
      const changed = await post(`/api/v1/incidents/${incident.id}/actions`, payload, { "If-Match": `"${incident.id}.${incident.version}"` });
      const ref2 = await reference();
      render(node, changed, ref2, { action: null, onChanged, flash });
      const where = changed.department ? ` · ${changed.department.name}` : "";
      flash(`${t("queue.done", { action: t(`action.${action}`) })} · ${t(`incident_status.${changed.status}`)}${where}`);
      onChanged();
    } catch (error) {
      problem.textContent = error instanceof ApiError ? serverMessage(error.body) || error.message : String(error);
    }
  });
  slot.replaceChildren(form);
}
