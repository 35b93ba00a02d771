// Map of my grids with today's track, my open incidents and the people due (cached for offline use).
import { useEffect, useState } from "preact/hooks";
import { getMeta } from "../db.js";
import { segments } from "../geo.js";
import { LazyMap as MapView } from "../LazyMap.jsx";
import { Legend } from "../Legend.jsx";
import { localDay, openIncidents, peopleDue } from "../records.js";
import { useStore } from "../store.js";
import { fixesOf } from "../tracking.js";

export function MapScreen() {
  const state = useStore();
  const [track, setTrack] = useState([]);
  useEffect(() => {
    (async () => {
      const done = await getMeta(`done:${state.session.user.id}`, []);
      const today = localDay(new Date().toISOString());
      const patrols = [...done.filter((p) => localDay(p.started_at) === today), state.patrol].filter(Boolean);
      const all = [];
      for (const patrol of patrols) all.push(...segments(await fixesOf(patrol.id)).segments);
      setTrack(all);
    })();
  }, [state.patrol, state.lastFix]);
  const markers = [
    ...openIncidents(state.session.user.id)
      .filter((i) => i.location && i.location.coordinates)
      .map((i) => ({ point: i.location.coordinates, color: "#e03131", label: i.description || "" })),
    ...peopleDue()
      .filter((p) => p.location && p.location.coordinates)
      .map((p) => ({ point: p.location.coordinates, color: "#7048e8", label: p.name || "" })),
  ];
  return (
    <section class="map-screen">
      <MapView
        grids={state.data.grids}
        basemap={state.data.basemap}
        segments={track}
        position={state.lastFix}
        markers={markers}
        height={Math.max(280, window.innerHeight - 250)}
      />
      <Legend items={["grid", "track", "me", "incident", "person"]} />
    </section>
  );
}
