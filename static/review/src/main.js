// The street-office review page: sign in, filters, the map, a grid's day, the incident queue, charts, reports.
import "ol/ol.css";
import "./style.css";
import { ApiError, download, get, login, logout, query, token } from "./api.js";
import { renderCharts, resizeCharts } from "./charts.js";
import { t, toggleLocale, translatePage } from "./i18n.js";
import { ReviewMap, complianceFill } from "./map.js";
import { el } from "./dom.js";
import { showGridDay, showQueue } from "./panels.js";
import { mayManageAccounts, showAccounts } from "./accounts.js";
import { localDay, setTimeZone } from "./time.js";

const $ = (selector) => document.querySelector(selector);

const state = {
  context: null,
  filters: { date: localDay(), from: localDay(-29), to: localDay(), community: "", grid: "", worker: "", category: "", status: "" },
  selectedGrid: null,
  tab: "grid",
  workerGrids(workerId) {
    const worker = state.context.workers.find((w) => String(w.id) === String(workerId));
    return new Set(worker ? worker.grid_ids : []);
  },
};
let reviewMap;

function flash(message, isError = false) {
  const node = $("#map-status");
  node.textContent = message;
  node.classList.toggle("error", isError);
}

function options(select, items, value, label) {
  select.replaceChildren(el("option", { value: "" }, t("filter.all")), ...items.map((item) => el("option", { value: value(item) }, label(item))));
}

function fillFilters() {
  const form = $("#filters");
  const c = state.context;
  options(form.community, c.communities, (a) => a.code, (a) => a.name);
  const grids = c.grids.filter((g) => !state.filters.community || g.code.startsWith(state.filters.community));
  options(form.grid, grids, (g) => g.id, (g) => `${g.name} ${g.code.slice(-3)}`);
  options(form.worker, c.workers, (w) => w.id, (w) => w.name);
  options(form.category, c.categories, (k) => k.code, (k) => k.name);
  options(form.status, c.statuses, (s) => s.code, (s) => s.name);
  for (const [name, value] of Object.entries(state.filters)) if (form[name]) form[name].value = value;
}

function legend() {
  const item = (colour, text, cls = "") => el("span", { class: `key ${cls}` }, el("i", { style: `background:${colour}` }), text);
  $("#legend").replaceChildren(
    item(complianceFill.full, t("legend.full")),
    item(complianceFill.partial, t("legend.partial")),
    item(complianceFill.none, t("legend.none")),
    item("#dc2626", t("legend.overdue"), "ring"),
    item("#db2777", t("legend.people"), "dot"),
  );
}

async function refreshSide() {
  const container = $(`#tab-${state.tab}`);
  try {
    if (state.tab === "grid") {
      if (state.selectedGrid) await showGridDay(container, state.selectedGrid, state.filters.date, { onReplay: replay });
      else container.replaceChildren(el("p", { class: "muted" }, t("grid.pick")));
    } else if (state.tab === "accounts") {
      await showAccounts(container, state.context, { flash });
    } else if (state.tab === "queue") {
      await showQueue(container, state.filters, { onChanged: () => { refreshSide(); reviewMap.setDate(state.filters.date); }, flash });
    } else {
      const areaId = areaIdOfFilter();
      const data = await get(`/api/v1/review/dashboard${query({ from: state.filters.from, to: state.filters.to, area_id: areaId })}`);
      renderCharts(data, state.context.statuses);
      resizeCharts();
    }
  } catch (error) {
    container.replaceChildren(el("p", { class: "error" }, t("error.generic", { message: error.message })));
  }
}

function areaIdOfFilter() {
  if (state.filters.grid) return state.filters.grid;
  const community = state.context.communities.find((c) => c.code === state.filters.community);
  return community ? community.id : undefined;
}

async function replay(patrolId) {
  const data = await get(`/api/v1/review/patrols/${patrolId}/replay`);
  reviewMap.replay(data.points);
}

function selectGrid(gridId) {
  state.selectedGrid = gridId;
  state.tab = "grid";
  showTab();
  reviewMap.restyle();
  refreshSide();
}

function showTab() {
  for (const tab of ["grid", "queue", "charts", "accounts"]) $(`#tab-${tab}`).hidden = tab !== state.tab;
  for (const button of document.querySelectorAll(".tabs button")) button.classList.toggle("active", button.dataset.tab === state.tab);
}

async function openReport(format) {
  const period = $("#filters").period.value;
  const areaId = state.context.communities.find((c) => c.code === state.filters.community)?.id;
  const url = `/api/v1/reports/${period}${query({ date: state.filters.date, area_id: areaId, format })}`;
  try {
    const { blob, name } = await download(url);
    const href = URL.createObjectURL(blob);
    if (format === "html") window.open(href, "_blank");
    else el("a", { href, download: name }).click();
    setTimeout(() => URL.revokeObjectURL(href), 60000);
  } catch (error) {
    flash(t("error.generic", { message: error.message }), true);
  }
}

async function loadPeople() {
  if (!["community_admin", "street_reviewer", "admin"].includes(state.context.user.role)) return;
  const collection = await get("/api/v1/review/overdue-people").catch(() => null);
  if (collection) reviewMap.showPeople(collection);
}

async function start() {
  state.context = await get(`/api/v1/review/context${query({ date: state.filters.date })}`);
  if (state.context.timezone) {
    const before = localDay();
    setTimeZone(state.context.timezone);
    if (localDay() !== before) Object.assign(state.filters, { date: localDay(), from: localDay(-29), to: localDay() });
  }
  const user = state.context.user;
  $(".tabs button[data-tab=accounts]").hidden = !mayManageAccounts(user.role);
  if (user.role === "admin" && state.context.basemap_configured === false && !$("#basemap-notice")) {
    $("#app").prepend(el("p", { class: "notice", id: "basemap-notice" }, t("admin.noBasemap")));
  }
  $("#who").textContent = `${user.full_name}（${state.context.area ? state.context.area.name : user.role}）`;
  $("#login").hidden = true;
  $("#app").hidden = false;
  translatePage();
  $("#lang").textContent = t("app.lang");
  fillFilters();
  legend();
  reviewMap = new ReviewMap("map", state, {
    onGridClick: selectGrid,
    onLoaded: (counts) => {
      $("#map-status").classList.remove("error");
      $("#map-status").textContent = t("status.loaded", counts);
      $("#map-status").dataset.grids = counts.grids;
      $("#map-status").dataset.tracks = counts.tracks;
    },
  });
  reviewMap.setTracksVisible(user.role !== "department");
  reviewMap.setDate(state.filters.date);
  const extent = await get("/ogc/collections/grids").catch(() => null);
  if (extent?.extent?.spatial) reviewMap.fit(extent.extent.spatial.bbox[0]);
  loadPeople();
  showTab();
  refreshSide();
}

function wire() {
  $("#login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    try {
      const body = await login(form.username.value, form.password.value);
      if (body.user && body.user.role === "worker") {
        $("#login-error").textContent = t("login.role");
        return;
      }
      await start();
    } catch (error) {
      $("#login-error").textContent = error instanceof ApiError && error.status === 403 ? t("login.role") : t("login.failed");
    }
  });
  $("#logout").addEventListener("click", async () => {
    await logout();
    location.reload();
  });
  $("#lang").addEventListener("click", () => {
    toggleLocale();
    location.reload();
  });
  $("#filters").addEventListener("change", (event) => {
    const { name, value } = event.target;
    if (!(name in state.filters)) return;
    state.filters[name] = value;
    if (name === "community") {
      state.filters.grid = "";
      fillFilters();
    }
    if (name === "date") reviewMap.setDate(value);
    if (name === "grid" && value) selectGrid(value);
    reviewMap.restyle();
    refreshSide();
  });
  $("#report-html").addEventListener("click", () => openReport("html"));
  $("#report-xlsx").addEventListener("click", () => openReport("xlsx"));
  for (const button of document.querySelectorAll(".tabs button")) {
    button.addEventListener("click", () => {
      state.tab = button.dataset.tab;
      showTab();
      refreshSide();
    });
  }
  window.addEventListener("resize", resizeCharts);
}

translatePage();
wire();
if (token()) start().catch(() => ($("#login").hidden = false));
else $("#login").hidden = false;
