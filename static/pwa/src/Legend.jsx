// What the map's marks mean, in words under the map.
import { t } from "./i18n.js";

const ITEMS = {
  grid: { swatch: "line", color: "#0b6e4f", label: "legend.grid" },
  track: { swatch: "line", color: "#d9480f", label: "legend.track" },
  filtered: { swatch: "dot", color: "#868e96", label: "legend.filtered" },
  me: { swatch: "dot", color: "#1971c2", label: "legend.me" },
  incident: { swatch: "dot", color: "#e03131", label: "legend.incident" },
  person: { swatch: "dot", color: "#7048e8", label: "legend.person" },
};

export function Legend({ items }) {
  return (
    <ul class="legend" id="map-legend">
      {items.map((name) => (
        <li key={name} data-legend={name}>
          <span class={`swatch swatch-${ITEMS[name].swatch}`} style={{ background: ITEMS[name].color }} />
          {t(ITEMS[name].label)}
        </li>
      ))}
    </ul>
  );
}
