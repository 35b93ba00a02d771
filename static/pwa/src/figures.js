// A patrol's figures and verdict on the phone, by the server's own rules (docs/patrols.md):
// the same quality flags, stretches, distance, duration, share inside, 50 m cell coverage and
// reasons, so what the phone shows while walking and after stopping is what the server will say.
import { inside, polygons } from "./geo.js";

export const DEFAULT_RULES = {
  am_start: "06:00:00",
  am_end: "12:00:00",
  pm_start: "12:00:00",
  pm_end: "20:00:00",
  min_duration_min: 20,
  min_inside_share: 0.6,
  min_coverage: 0.25,
  max_accuracy_m: 50,
  max_speed_mps: 7,
  far_outside_m: 200,
  gap_s: 120,
  cell_m: 50,
  timezone: "Asia/Shanghai",
};

export const LOW_ACCURACY = 1;
export const SPIKE = 2;
export const FAR_OUTSIDE = 4;

// Planar centroid in degrees (as ST_Centroid on the grid's geometry), area-weighted over polygons.
function centroid(geometry) {
  let area = 0;
  let cx = 0;
  let cy = 0;
  for (const rings of polygons(geometry)) {
    rings.forEach((ring, index) => {
      const sign = index === 0 ? 1 : -1;
      for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
        const cross = ring[j][0] * ring[i][1] - ring[i][0] * ring[j][1];
        area += sign * cross;
        cx += sign * (ring[j][0] + ring[i][0]) * cross;
        cy += sign * (ring[j][1] + ring[i][1]) * cross;
      }
    });
  }
  return area ? [cx / (3 * area), cy / (3 * area)] : [0, 0];
}

// Metres per degree on the WGS-84 ellipsoid at a latitude (prime-vertical and meridian radii).
function scale(lat) {
  const s = Math.sin((lat * Math.PI) / 180) ** 2;
  const k = Math.PI / 180;
  return [(k * 6378137 * Math.cos((lat * Math.PI) / 180)) / Math.sqrt(1 - 0.0066943799901 * s), (k * 6335439.327) / (1 - 0.0066943799901 * s) ** 1.5];
}

/** The metric frame of a grid: centre, metres per degree, and its 50 m cells (those whose centre is inside). */
export function gridFrame(geometry, cellM = DEFAULT_RULES.cell_m) {
  const [cx, cy] = centroid(geometry);
  const [kx, ky] = scale(cy);
  const toM = ([x, y]) => [(x - cx) * kx, (y - cy) * ky];
  const cells = new Set();
  const rings = polygons(geometry).map((poly) => poly.map((ring) => ring.map(toM)));
  let [minX, minY, maxX, maxY] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const poly of rings) {
    for (const [x, y] of poly[0]) {
      minX = Math.min(minX, x);
      minY = Math.min(minY, y);
      maxX = Math.max(maxX, x);
      maxY = Math.max(maxY, y);
    }
  }
  const metricGeometry = { type: "MultiPolygon", coordinates: rings };
  for (let i = Math.floor(minX / cellM); i <= Math.floor(maxX / cellM); i++) {
    for (let j = Math.floor(minY / cellM); j <= Math.floor(maxY / cellM); j++) {
      if (inside([(i + 0.5) * cellM, (j + 0.5) * cellM], metricGeometry)) cells.add(`${i}:${j}`);
    }
  }
  return { geometry, metricGeometry, cx, cy, kx, ky, cellM, cells, toM };
}

function distanceToEdges([x, y], metricGeometry) {
  let best = Infinity;
  for (const poly of metricGeometry.coordinates) {
    for (const ring of poly) {
      for (let i = 1; i < ring.length; i++) {
        const [ax, ay] = ring[i - 1];
        const [bx, by] = ring[i];
        const len = (bx - ax) ** 2 + (by - ay) ** 2;
        const t = len ? Math.max(0, Math.min(1, ((x - ax) * (bx - ax) + (y - ay) * (by - ay)) / len)) : 0;
        best = Math.min(best, Math.hypot(x - (ax + t * (bx - ax)), y - (ay + t * (by - ay))));
      }
    }
  }
  return best;
}

const speed = (a, b, minDt) => Math.hypot(b.mx - a.mx, b.my - a.my) / Math.max((b.t - a.t) / 1000, minDt);

/** Fixes ({t, lon, lat, acc}) in time order with their quality flag and metric position. */
export function flagged(fixes, frame, rules = DEFAULT_RULES) {
  const list = [...fixes]
    .sort((a, b) => a.t - b.t)
    .filter((fix, i, all) => i === 0 || fix.t !== all[i - 1].t)
    .map((fix) => {
      const [mx, my] = frame.toM([fix.lon, fix.lat]);
      let flag = fix.acc > rules.max_accuracy_m ? LOW_ACCURACY : 0;
      const isInside = inside([fix.lon, fix.lat], frame.geometry);
      if (!isInside && distanceToEdges([mx, my], frame.metricGeometry) > rules.far_outside_m) flag |= FAR_OUTSIDE;
      return { ...fix, mx, my, flag, inside: isInside };
    });
  const accurate = list.filter((fix) => !(fix.flag & LOW_ACCURACY));
  for (let i = 1; i < accurate.length - 1; i++) {
    const vIn = speed(accurate[i - 1], accurate[i], 1);
    const vOut = speed(accurate[i], accurate[i + 1], 1);
    if (vIn > rules.max_speed_mps && vOut > rules.max_speed_mps) accurate[i].flag |= SPIKE;
  }
  return list;
}

/** The server's figures for a track: distance, duration, share inside, coverage, clean fixes, stretches. */
export function figures(fixes, frame, rules = DEFAULT_RULES) {
  const all = flagged(fixes, frame, rules);
  const clean = all.filter((fix) => fix.flag === 0);
  let distance = 0;
  let duration = 0;
  const stretches = [];
  clean.forEach((fix, i) => {
    const prev = clean[i - 1];
    const dt = prev ? (fix.t - prev.t) / 1000 : null;
    const step = prev ? Math.hypot(fix.mx - prev.mx, fix.my - prev.my) : 0;
    const breaks = dt === null || dt > rules.gap_s || step / Math.max(dt, 0.001) > rules.max_speed_mps;
    if (breaks) stretches.push([fix]);
    else {
      distance += step;
      duration += dt;
      stretches[stretches.length - 1].push(fix);
    }
  });
  let insideTime = 0;
  let counted = 0;
  const present = all.filter((fix) => !(fix.flag & (LOW_ACCURACY | SPIKE)));
  present.forEach((fix, i) => {
    if (!i) return;
    const dt = (fix.t - present[i - 1].t) / 1000;
    if (dt > rules.gap_s) return;
    counted += dt;
    if (fix.inside) insideTime += dt;
  });
  const touched = new Set(clean.map((fix) => `${Math.floor(fix.mx / frame.cellM)}:${Math.floor(fix.my / frame.cellM)}`));
  let hit = 0;
  for (const cell of touched) if (frame.cells.has(cell)) hit += 1;
  return {
    fixes: all,
    stretches: stretches.filter((s) => s.length >= 2),
    point_count: all.length,
    clean_count: clean.length,
    distance_m: distance,
    duration_s: Math.round(duration),
    inside_share: counted ? insideTime / counted : null,
    coverage: frame.cells.size ? hit / frame.cells.size : 0,
  };
}

function localClock(iso, timezone) {
  const parts = new Intl.DateTimeFormat("en-GB", { timeZone: timezone, hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" }).format(new Date(iso));
  return parts;
}

/** The shift a patrol starting at `iso` belongs to, and whether it started inside its window (server: shift_for). */
export function shiftFor(iso, rules = DEFAULT_RULES) {
  const clock = localClock(iso, rules.timezone);
  if (rules.am_start <= clock && clock < rules.am_end) return { shift: "am", inWindow: true };
  if (rules.pm_start <= clock && clock < rules.pm_end) return { shift: "pm", inWindow: true };
  return { shift: clock < rules.pm_start ? "am" : "pm", inWindow: false };
}

/** The reasons a patrol does not count (empty when it counts), as the server judges them. */
export function reasons(patrol, figs, rules = DEFAULT_RULES) {
  const list = [];
  if (!shiftFor(patrol.started_at, rules).inWindow) list.push("outside_window");
  if (!patrol.ended_at) list.push("not_finished");
  else if (figs.clean_count < 2) list.push("no_track");
  if ((figs.duration_s || 0) < rules.min_duration_min * 60) list.push("too_short");
  if ((figs.inside_share || 0) < rules.min_inside_share) list.push("mostly_outside");
  if ((figs.coverage || 0) < rules.min_coverage) list.push("low_coverage");
  return list;
}
