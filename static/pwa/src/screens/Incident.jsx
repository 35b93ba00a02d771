// One of my incidents as the server last said: what, where, its state and deadline.
import { formatTime, t } from "../i18n.js";
import { LazyMap as MapView } from "../LazyMap.jsx";
import { records } from "../records.js";
import { useStore } from "../store.js";

export function IncidentScreen() {
  const state = useStore();
  const id = new URLSearchParams(state.route.split("?")[1] || "").get("id");
  const incident = records("incidents").find((i) => String(i.id) === id);
  if (!incident) {
    return (
      <section>
        <p class="muted">{t("incidentGone")}</p>
        <a class="row link" href="#/">{t("back")}</a>
      </section>
    );
  }
  const category = incident.category || {};
  const point = incident.location && incident.location.coordinates;
  return (
    <section class="incident-detail" id="incident-detail">
      <h2>{[category.parent_name, category.name].filter(Boolean).join(" · ")}</h2>
      <p>
        <span class={`chip status-${incident.status}`}>{t(`status.${incident.status}`)}</span>
        {incident.overdue && <span class="chip warn"> {t("overdue")}</span>}
      </p>
      {incident.description && <p>{incident.description}</p>}
      <dl class="facts">
        <dt>{t("reportedAt")}</dt>
        <dd>{formatTime(incident.reported_at)}</dd>
        {incident.due_at && (
          <>
            <dt>{t("dueAt")}</dt>
            <dd>{formatTime(incident.due_at)}</dd>
          </>
        )}
        {incident.department && (
          <>
            <dt>{t("department")}</dt>
            <dd>{incident.department.name}</dd>
          </>
        )}
        {incident.grid && (
          <>
            <dt>{t("grid")}</dt>
            <dd>{incident.grid.name}</dd>
          </>
        )}
      </dl>
      {point && <MapView grids={state.data.grids} basemap={state.data.basemap} markers={[{ point }]} height={200} />}
      <a class="row link" href="#/">{t("back")}</a>
    </section>
  );
}
