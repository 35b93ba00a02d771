// The running patrol: duration, distance, coverage estimate, accuracy, gaps, the wake-lock hint, stop.
import { useEffect, useMemo, useState } from "preact/hooks";
import { Coverage, segments, trackLength } from "../geo.js";
import { t } from "../i18n.js";
import { LazyMap as MapView } from "../LazyMap.jsx";
import { useStore } from "../store.js";
import { fixesOf, gridForHere, onFix, start, stop } from "../tracking.js";

function clock(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const pad = (n) => String(n).padStart(2, "0");
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}

export function PatrolScreen() {
  const state = useStore();
  const patrol = state.patrol;
  const [fixes, setFixes] = useState([]);
  const [now, setNow] = useState(Date.now());
  const grid = patrol && state.data.grids.find((g) => g.id === patrol.grid_id);
  const coverage = useMemo(() => (grid ? new Coverage(grid.geometry) : null), [grid && grid.id, patrol && patrol.id]);

  useEffect(() => {
    if (!patrol) return undefined;
    let live = true;
    fixesOf(patrol.id).then((list) => {
      if (!live) return;
      if (coverage) list.forEach((fix) => coverage.add([fix.lon, fix.lat]));
      setFixes(list);
    });
    const off = onFix((fix) => {
      if (coverage) coverage.add([fix.lon, fix.lat]);
      setFixes((list) => [...list, fix]);
    });
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => {
      live = false;
      off();
      clearInterval(timer);
    };
  }, [patrol && patrol.id]);

  if (!patrol) {
    const begin = async () => {
      const chosen = await gridForHere(state.data.grids);
      await start(chosen ? chosen.id : null);
    };
    return (
      <section>
        <button class="action patrol" id="start-patrol" onClick={begin} disabled={!state.data.grids.length}>
          {t("startPatrol")}
        </button>
        <p class="hint">{t("wakeHint")}</p>
      </section>
    );
  }
  const split = segments(fixes);
  const last = state.lastFix;
  return (
    <section class="patrol-live">
      <div class="stats">
        <div>
          <small>{t("duration")}</small>
          <strong id="patrol-duration">{clock(now - new Date(patrol.started_at).getTime())}</strong>
        </div>
        <div>
          <small>{t("distance")}</small>
          <strong id="patrol-distance">{Math.round(trackLength(fixes))} m</strong>
        </div>
        <div>
          <small>{t("coverage")}</small>
          <strong id="patrol-coverage">{coverage ? Math.round(coverage.share * 100) : 0}%</strong>
        </div>
      </div>
      <p class="gps" id="gps-status">
        {state.gpsError
          ? t("gpsError", { message: state.gpsError })
          : last
            ? t("accuracy", { m: Math.round(last.acc) })
            : t("waitingGps")}
        {state.outside && <span class="warn"> · {t("outside")}</span>}
      </p>
      {split.gaps > 0 && <p class="warn">{t("gaps", { n: split.gaps, min: Math.round(split.gapTime / 60000) })}</p>}
      <MapView
        grids={grid ? [grid] : []}
        basemap={state.data.basemap}
        segments={split.segments}
        position={last}
        height={260}
      />
      <p class={state.wakeLock === "on" ? "hint" : "hint warn"}>
        {state.wakeLock === "on" ? t("wakeOn") : t("wakeOff")} — {t("wakeHint")}
      </p>
      <button class="action stop" id="stop-patrol" onClick={stop}>
        {t("stopPatrol")}
      </button>
    </section>
  );
}
