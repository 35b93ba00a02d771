// One of my incidents: what, where, its state and deadline; online, also its history and photos.
import { useEffect, useState } from "preact/hooks";
import { photoObjectUrl, request } from "../api.js";
import { formatTime, t } from "../i18n.js";
import { LazyMap as MapView } from "../LazyMap.jsx";
import { records } from "../records.js";
import { useStore } from "../store.js";

export function IncidentScreen() {
  const state = useStore();
  const id = new URLSearchParams(state.route.split("?")[1] || "").get("id");
  const incident = records("incidents").find((i) => String(i.id) === id);
  const [detail, setDetail] = useState(null);
  const [offline, setOffline] = useState(false);
  useEffect(() => {
    if (incident) request("GET", `/api/v1/incidents/${incident.id}`).then(setDetail, () => setOffline(true));
  }, [id]);
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
        <span class={`chip status-${incident.status}`}>{t(`incident_status.${(detail || incident).status}`)}</span>
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
      {detail && <Photos ids={detail.photo_ids || []} />}
      {detail && <History events={detail.history || []} />}
      {offline && <p class="hint">{t("detailOnline")}</p>}
      {point && <MapView grids={state.data.grids} basemap={state.data.basemap} markers={[{ point }]} height={200} />}
      <a class="row link" href="#/">{t("back")}</a>
    </section>
  );
}

function Photos({ ids }) {
  const [urls, setUrls] = useState([]);
  useEffect(() => {
    let live = true;
    Promise.all(ids.map((photoId) => photoObjectUrl(photoId).catch(() => null))).then((list) => live && setUrls(list.filter(Boolean)));
    return () => {
      live = false;
    };
  }, [ids.join(",")]);
  if (!urls.length) return null;
  return (
    <div class="photos" id="incident-photos">
      {urls.map((url) => (
        <a key={url} href={url} target="_blank" rel="noopener">
          <img src={url} alt="" class="thumb" />
        </a>
      ))}
    </div>
  );
}

/** What happened to the case, oldest first: when, what, by whom. */
function History({ events }) {
  if (!events.length) return null;
  return (
    <>
      <h3>{t("history")}</h3>
      <ol class="history" id="incident-history">
        {events.map((event, index) => (
          <li key={index}>
            <span class="muted">{formatTime(event.at)}</span> {t(`incident_action.${event.action}`)}
            {event.to_status ? ` → ${t(`incident_status.${event.to_status}`)}` : ""}
            {event.actor_name ? <span class="muted"> · {event.actor_name}</span> : null}
            {event.note ? <span class="block">{event.note}</span> : null}
          </li>
        ))}
      </ol>
    </>
  );
}
