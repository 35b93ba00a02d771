// The running patrol: its targets, the figures the server will count (same rules), GPS quality, stop;
// after stopping, the verdict: the server's once synced, the phone's own (provisional) until then.
import { useEffect, useMemo, useState } from "preact/hooks";
import { figures, gridFrame, shiftFor } from "../figures.js";
import { t } from "../i18n.js";
import { LazyMap as MapView } from "../LazyMap.jsx";
import { Legend } from "../Legend.jsx";
import { records, rulesFor } from "../records.js";
import { useStore } from "../store.js";
import { fixesOf, gridForHere, onFix, start, stop } from "../tracking.js";

export function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const pad = (n) => String(n).padStart(2, "0");
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}

const percent = (share) => `${Math.round((share || 0) * 100)}%`;
const hm = (value) => String(value || "").slice(0, 5);

/** What a patrol must reach to count, in words: its shift window, minimum duration and coverage. */
export function Targets({ rules, startedAt }) {
  const { shift } = shiftFor(startedAt || new Date().toISOString(), rules);
  const window = `${hm(rules[`${shift}_start`])}–${hm(rules[`${shift}_end`])}`;
  return (
    <p class="targets" id="patrol-targets">
      {t("targets", { shift: t(shift), window, min: rules.min_duration_min, coverage: percent(rules.min_coverage) })}
    </p>
  );
}

/** The verdict of the patrol just finished: the server's when it has judged it, else the phone's, marked provisional. */
function Result({ patrol }) {
  const server = records("patrols")
    .map((feature) => feature.properties || feature)
    .find((p) => String(p.id) === String(patrol.id) && p.ended_at && p.valid !== null && p.valid !== undefined);
  const verdict = server
    ? { reasons: server.invalid_reasons || [], figures: server }
    : patrol.verdict || { reasons: [], figures: null };
  const counted = verdict.reasons.length === 0;
  const figs = verdict.figures;
  return (
    <div class={`card result ${counted ? "ok" : "bad"}`} id="patrol-result" data-confirmed={server ? "yes" : "no"}>
      <h2>
        {counted ? t("shift.counted") : t("shift.notCounted")}
        {!server && <span class="chip provisional"> {t("provisional")}</span>}
      </h2>
      {!counted && <p class="reasons">{verdict.reasons.map((r) => t(`reason.${r}`)).join("、")}</p>}
      {figs && (
        <p class="muted">
          {t("resultFigures", { duration: Math.round((figs.duration_s || 0) / 60), distance: Math.round(figs.distance_m || 0), coverage: percent(figs.coverage) })}
        </p>
      )}
      {!server && <p class="hint">{t("provisionalHint")}</p>}
    </div>
  );
}

function Live({ state, patrol }) {
  const [fixes, setFixes] = useState([]);
  const [now, setNow] = useState(Date.now());
  const grid = state.data.grids.find((g) => g.id === patrol.grid_id);
  const rules = rulesFor(patrol.grid_id);
  const frame = useMemo(() => (grid ? gridFrame(grid.geometry, rules.cell_m) : null), [grid && grid.id]);

  useEffect(() => {
    let live = true;
    fixesOf(patrol.id).then((list) => live && setFixes(list));
    const off = onFix((fix) => setFixes((list) => [...list, fix]));
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => {
      live = false;
      off();
      clearInterval(timer);
    };
  }, [patrol.id]);

  const figs = useMemo(() => (frame ? figures(fixes, frame, rules) : null), [fixes, frame]);
  const last = state.lastFix;
  const poor = last && last.acc > rules.max_accuracy_m;
  const flaggedFixes = figs ? figs.fixes.filter((fix) => fix.flag) : [];
  const elapsed = (now - new Date(patrol.started_at).getTime()) / 1000;
  return (
    <section class="patrol-live">
      <Targets rules={rules} startedAt={patrol.started_at} />
      <div class="stats">
        <div>
          <small>{t("countedTime")}</small>
          <strong id="patrol-duration">{clock(figs ? figs.duration_s : 0)}</strong>
          <small class="muted">{t("elapsed", { time: clock(elapsed) })}</small>
        </div>
        <div>
          <small>{t("distance")}</small>
          <strong id="patrol-distance">{Math.round(figs ? figs.distance_m : 0)} m</strong>
        </div>
        <div>
          <small>{t("coverage")}</small>
          <strong id="patrol-coverage">{percent(figs && figs.coverage)}</strong>
          <small class="muted">{t("target", { value: percent(rules.min_coverage) })}</small>
        </div>
      </div>
      <p class={poor ? "gps warn" : "gps"} id="gps-status">
        {state.gpsError
          ? t("gpsError", { message: state.gpsError })
          : last
            ? poor
              ? t("poorAccuracy", { m: Math.round(last.acc) })
              : t("accuracy", { m: Math.round(last.acc) })
            : t("waitingGps")}
        {state.outside && <span class="warn"> · {t("outside")}</span>}
      </p>
      {flaggedFixes.length > 0 && <p class="hint" id="patrol-filtered">{t("filteredFixes", { n: flaggedFixes.length })}</p>}
      <MapView
        grids={grid ? [grid] : []}
        basemap={state.data.basemap}
        segments={figs ? figs.stretches : []}
        markers={flaggedFixes.map((fix) => ({ point: [fix.lon, fix.lat], color: "#868e96", radius: 3, label: t("filteredFix") }))}
        position={last}
        height={240}
      />
      <Legend items={flaggedFixes.length ? ["grid", "track", "filtered", "me"] : ["grid", "track", "me"]} />
      <p class={state.wakeLock === "on" ? "hint" : "hint warn"}>
        {state.wakeLock === "on" ? t("wakeOn") : t("wakeOff")} — {t("wakeHint")}
      </p>
      <button class="action stop" id="stop-patrol" onClick={stop}>
        {t("stopPatrol")}
      </button>
    </section>
  );
}

export function PatrolScreen() {
  const state = useStore();
  if (state.patrol) return <Live state={state} patrol={state.patrol} />;
  const begin = async () => {
    const chosen = await gridForHere(state.data.grids);
    await start(chosen ? chosen.id : null);
  };
  const grid = state.data.grids[0];
  return (
    <section>
      {state.lastPatrol && <Result patrol={state.lastPatrol} />}
      {grid && <Targets rules={rulesFor(grid.id)} />}
      <button class="action patrol" id="start-patrol" onClick={begin} disabled={!state.data.grids.length}>
        {t("startPatrol")}
      </button>
      <p class="hint">{t("wakeHint")}</p>
    </section>
  );
}
