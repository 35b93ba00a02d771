// Today at a glance per grid: am/pm patrol, people due, my open incidents; the big action buttons.
import { useEffect, useState } from "preact/hooks";
import { getMeta } from "../db.js";
import { formatTime, t } from "../i18n.js";
import { items } from "../outbox.js";
import { openIncidents, peopleDue, shiftStatus } from "../records.js";
import { go, useStore } from "../store.js";
import { gridForHere, start } from "../tracking.js";

export function Home() {
  const state = useStore();
  const userId = state.session.user.id;
  const [done, setDone] = useState([]);
  const [queued, setQueued] = useState([]);
  useEffect(() => {
    getMeta(`done:${userId}`, []).then(setDone);
    items(userId).then((list) => setQueued(list.filter((item) => item.op === "incident.report")));
  }, [state.pending, state.patrol]);

  const startPatrol = async () => {
    const grid = await gridForHere(state.data.grids);
    await start(grid ? grid.id : null);
    go("/patrol");
  };

  const incidents = openIncidents(userId);
  return (
    <section class="home">
      <div class="actions">
        {state.patrol ? (
          <a class="action patrol running" href="#/patrol" id="open-patrol">
            {t("patrolling")}
          </a>
        ) : (
          <button class="action patrol" id="start-patrol" onClick={startPatrol} disabled={!state.data.grids.length}>
            {t("startPatrol")}
          </button>
        )}
        <a class="action" href="#/report" id="go-report">
          {t("report")}
        </a>
        <a class="action" href="#/visit" id="go-visit">
          {t("visit")}
        </a>
      </div>
      {state.foreign > 0 && <p class="notice">{t("foreign", { n: state.foreign })}</p>}
      {!state.data.grids.length && <p class="notice">{t("noGrid")}</p>}
      {state.data.grids.map((grid) => {
        const shifts = shiftStatus(grid.id, done);
        const due = peopleDue(grid.id);
        return (
          <div class="card" key={grid.id} data-grid={grid.properties.code}>
            <h2>{grid.properties.name}</h2>
            <div class="row">
              {["am", "pm"].map((shift) => (
                <span class={`chip ${shifts[shift].state}`} key={shift} data-shift={shift} data-status={shifts[shift].state}>
                  {t(shift)}：{t(`shift.${shifts[shift].state}`)}
                </span>
              ))}
            </div>
            {["am", "pm"]
              .filter((shift) => shifts[shift].reasons.length)
              .map((shift) => (
                <p class="reasons" key={shift} data-reasons={shift}>
                  {t(shift)}：{shifts[shift].reasons.map((r) => t(`reason.${r}`)).join("、")}
                </p>
              ))}
            <a class="row link" href={`#/visit?grid=${grid.id}&due=1`} data-due-link={grid.id}>
              {t("peopleDue", { n: due.length })}
            </a>
          </div>
        );
      })}
      <div class="card">
        <h2>{t("myIncidents")}</h2>
        {!incidents.length && !queued.length && <p class="muted">{t("noIncidents")}</p>}
        <ul class="list" id="my-incidents">
          {queued.map((item) => (
            <li key={item.op_id}>
              {item.label || item.payload.description} <span class="chip notYet">{t("outboxLocal")}</span>
            </li>
          ))}
          {incidents.map((incident) => (
            <li key={incident.id}>
              <a class="row-link" href={`#/incident?id=${incident.id}`} data-incident={incident.id}>
                <span>
                  <strong>{(incident.category && incident.category.name) || t("incident")}</strong>{" "}
                  <span class="muted">{formatTime(incident.reported_at)}</span>
                  {incident.description && <span class="muted block">{incident.description}</span>}
                </span>
                <span class={incident.overdue ? "chip warn" : "chip"}>{t(`incident_status.${incident.status}`)}</span>
              </a>
            </li>
          ))}
        </ul>
      </div>
    </section>
  );
}
