// Side panels: a grid's day (patrols with figures and reasons, incidents, visits) and the incident queue.
import { get, query } from "./api.js";
import { t } from "./i18n.js";
import { el } from "./dom.js";
import { openIncident } from "./incident.js";
import { localDateTime, localTime } from "./time.js";

const minutes = (s) => (s == null ? "—" : `${Math.round(s / 60)} min`);
const pct = (v) => (v == null ? "—" : `${Math.round(v * 100)}%`);

export async function showGridDay(container, gridId, day, { onReplay }) {
  container.replaceChildren(el("p", { class: "muted" }, "…"));
  const data = await get(`/api/v1/review/grids/${gridId}/day${query({ date: day })}`);
  const patrols = data.patrols.length
    ? el(
        "table",
        { class: "list", "data-testid": "patrols" },
        el("tr", {}, ["", t("patrol.time"), t("patrol.distance"), t("patrol.duration"), t("patrol.inside"), t("patrol.coverage"), "", ""].map((h) => el("th", {}, h))),
        data.patrols.map((p) =>
          el(
            "tr",
            { class: p.valid ? "ok" : "bad" },
            el("td", {}, t(`patrol.shift.${p.shift}`)),
            el("td", {}, `${localTime(p.started_at)}–${localTime(p.ended_at)}`),
            el("td", {}, p.distance_m == null ? "—" : `${Math.round(p.distance_m)} m`),
            el("td", {}, minutes(p.duration_s)),
            el("td", {}, pct(p.inside_share)),
            el("td", {}, pct(p.coverage)),
            el("td", {}, p.valid ? t("patrol.valid") : `${t("patrol.invalid")}：${p.invalid_reasons.map((r) => t(`patrol_reason.${r}`)).join("、")}`),
            el("td", {}, el("button", { type: "button", class: "replay", onclick: () => onReplay(p.id) }, t("patrol.replay"))),
          ),
        ),
      )
    : el("p", { class: "muted" }, t("grid.none"));
  const incidents = data.incidents.length
    ? el("ul", { class: "plain" }, data.incidents.map((i) => el("li", { class: i.overdue ? "overdue" : "" }, `${localTime(i.reported_at)} ${i.category}/${i.subcategory} · ${t(`incident_status.${i.status}`)}${i.overdue ? ` · ${t("queue.overdue")}` : ""}`)))
    : el("p", { class: "muted" }, t("grid.none"));
  const visits = data.visits.length
    ? el("ul", { class: "plain" }, data.visits.map((v) => el("li", {}, `${localTime(v.visited_at)} ${v.person} · ${v.method} · ${v.condition}`)))
    : el("p", { class: "muted" }, t("grid.none"));
  container.replaceChildren(
    el("h2", { "data-testid": "grid-day-title" }, `${data.grid.name}（${data.grid.code}）${data.date}`),
    el("p", { class: "muted" }, `${t("grid.households")}：${data.grid.households ?? "—"}`),
    el("h3", {}, t("grid.patrols")),
    patrols,
    el("h3", {}, t("grid.incidents")),
    incidents,
    el("h3", {}, t("grid.visits")),
    visits,
  );
}

const REVIEW_ACTIONS = ["accept", "reject", "dispatch", "close", "send_back", "reopen", "start", "resolve", "merge"];

export async function showQueue(container, filters, { onChanged, flash }) {
  const params = { limit: 50, category: undefined, grid_id: filters.grid || undefined };
  const search = new URLSearchParams(query(params).slice(1));
  if (filters.status) search.append("status", filters.status);
  else for (const status of ["reported", "accepted", "dispatched", "in_progress", "resolved"]) search.append("status", status);
  const page = await get(`/api/v1/incidents?${search}`);
  const items = page.items.filter(
    (i) => (!filters.category || (i.category.parent_code || i.category.code) === filters.category) && (!filters.community || i.grid.code.startsWith(filters.community)),
  );
  if (!items.length) {
    container.replaceChildren(el("p", { class: "muted" }, t("queue.empty")));
    return;
  }
  container.replaceChildren(
    el(
      "ul",
      { class: "queue", "data-testid": "queue" },
      items.map((incident) =>
        el(
          "li",
          { class: incident.overdue ? "overdue" : "", "data-id": incident.id, "data-status": incident.status },
          el("div", {}, el("strong", { class: "open-detail", role: "button", tabindex: "0", onclick: () => openIncident(incident.id, { onChanged, flash }) }, incident.category.parent_name ? `${incident.category.parent_name}/${incident.category.name}` : incident.category.name), ` · ${incident.grid.name} · `, el("span", { class: `status status-${incident.status}` }, t(`incident_status.${incident.status}`)), incident.overdue ? el("span", { class: "badge" }, t("queue.overdue")) : null, upstreamBadge(incident)),
          el("div", { class: "muted" }, `${localDateTime(incident.reported_at)} ${incident.description || ""}`),
          el(
            "div",
            { class: "actions" },
            incident.allowed_actions
              .filter((a) => REVIEW_ACTIONS.includes(a))
              .map((action) => el("button", { type: "button", "data-action": action, onclick: () => openIncident(incident.id, { action, onChanged, flash }) }, t(`action.${action}`))),
          ),
        ),
      ),
    ),
  );
}

// A work order from an upstream platform (Open311): its source, order id and the upstream deadline.
function upstreamBadge(incident) {
  if (incident.source !== "upstream" || !incident.upstream) return null;
  const deadline = localDateTime(incident.upstream_deadline);
  return el(
    "span",
    { class: "badge upstream", "data-upstream-id": incident.upstream.upstream_id },
    `${t("queue.upstream")} ${incident.upstream.client} ${incident.upstream.upstream_id} · ${t("queue.deadline")} ${deadline}`,
  );
}

