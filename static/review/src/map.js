// The review map: grids coloured by the day's compliance, the day's tracks and incidents as vector tiles
// from /api/v1/tiles (fetched with the bearer token), people overdue for a visit, and a patrol replay.
import Map from "ol/Map.js";
import View from "ol/View.js";
import Feature from "ol/Feature.js";
import VectorTileLayer from "ol/layer/VectorTile.js";
import VectorLayer from "ol/layer/Vector.js";
import VectorTileSource from "ol/source/VectorTile.js";
import VectorSource from "ol/source/Vector.js";
import MVT from "ol/format/MVT.js";
import GeoJSON from "ol/format/GeoJSON.js";
import LineString from "ol/geom/LineString.js";
import Point from "ol/geom/Point.js";
import { Circle, Fill, Stroke, Style, Text } from "ol/style.js";
import { fromLonLat, transformExtent } from "ol/proj.js";
import { authHeaders } from "./api.js";

const COMPLIANCE_FILL = { full: "rgba(46, 160, 67, 0.35)", partial: "rgba(240, 180, 0, 0.4)", none: "rgba(215, 58, 73, 0.3)" };
const STATUS_COLOUR = {
  reported: "#d97706", accepted: "#2563eb", dispatched: "#7c3aed", in_progress: "#7c3aed",
  resolved: "#0891b2", closed: "#16a34a", rejected: "#6b7280",
};

function tileLoader(counter) {
  return (tile, url) => {
    tile.setLoader((extent, resolution, projection) => {
      fetch(url, { headers: authHeaders() })
        .then((response) => {
          if (response.status === 204) return null;
          if (!response.ok) throw new Error(`tile ${response.status}`);
          return response.arrayBuffer();
        })
        .then((data) => {
          const features = data ? tile.getFormat().readFeatures(data, { extent, featureProjection: projection }) : [];
          for (const feature of features) counter.add(feature.get("id") ?? feature.get("code"));
          tile.setFeatures(features);
        })
        .catch(() => tile.setState(3));
    });
  };
}

function tileSource(layer, counter) {
  return new VectorTileSource({
    format: new MVT({ idProperty: undefined }),
    url: `/api/v1/tiles/${layer}/{z}/{x}/{y}.mvt`,
    tileLoadFunction: tileLoader(counter),
    maxZoom: 18,
  });
}

export class ReviewMap {
  constructor(target, state, { onGridClick, onLoaded }) {
    this.state = state;
    this.seen = { grids: new Set(), tracks: new Set(), incidents: new Set() };
    this.onLoaded = onLoaded;
    this.grids = new VectorTileLayer({ source: tileSource("grids", this.seen.grids), style: (f) => this.gridStyle(f), declutter: false });
    this.tracks = new VectorTileLayer({ source: tileSource("tracks", this.seen.tracks), style: (f) => this.trackStyle(f) });
    this.incidents = new VectorTileLayer({ source: tileSource("incidents", this.seen.incidents), style: (f) => this.incidentStyle(f) });
    this.people = new VectorLayer({ source: new VectorSource(), style: peopleStyle });
    this.replayLayer = new VectorLayer({ source: new VectorSource(), style: replayStyle });
    this.map = new Map({
      target,
      layers: [this.grids, this.tracks, this.incidents, this.people, this.replayLayer],
      view: new View({ center: fromLonLat([120.129, 30.286]), zoom: 14, maxZoom: 19 }),
    });
    for (const name of ["grids", "tracks", "incidents"]) {
      this[name].getSource().on("tileloadend", () => this.onLoaded?.(this.counts()));
    }
    this.map.on("singleclick", (event) => {
      const hit = this.map.forEachFeatureAtPixel(event.pixel, (feature) => feature, { layerFilter: (l) => l === this.grids });
      if (hit) onGridClick(hit.get("id"));
    });
    this.map.on("pointermove", (event) => {
      const hit = this.map.hasFeatureAtPixel(event.pixel, { layerFilter: (l) => l === this.grids });
      this.map.getTargetElement().style.cursor = hit ? "pointer" : "";
    });
  }

  counts() {
    return { grids: this.seen.grids.size, tracks: this.seen.tracks.size, incidents: this.seen.incidents.size };
  }

  setDate(day) {
    for (const name of ["grids", "tracks", "incidents"]) {
      this.seen[name].clear();
      this[name].getSource().setUrl(`/api/v1/tiles/${name === "grids" ? "grids" : name}/{z}/{x}/{y}.mvt?date=${day}`);
    }
  }

  setTracksVisible(visible) {
    this.tracks.setVisible(visible);
  }

  restyle() {
    for (const layer of [this.grids, this.tracks, this.incidents]) layer.changed();
  }

  fit(bbox) {
    const extent = transformExtent(bbox, "EPSG:4326", "EPSG:3857");
    this.map.getView().fit(extent, { padding: [20, 20, 20, 20], maxZoom: 16 });
  }

  gridVisible(feature) {
    const { community, grid, worker } = this.state.filters;
    const code = feature.get("code") || "";
    if (community && !code.startsWith(community)) return false;
    if (grid && String(feature.get("id")) !== grid) return false;
    if (worker && !this.state.workerGrids(worker).has(feature.get("id"))) return false;
    return true;
  }

  gridStyle(feature) {
    if (!this.gridVisible(feature)) return null;
    const selected = String(feature.get("id")) === String(this.state.selectedGrid);
    return new Style({
      fill: new Fill({ color: COMPLIANCE_FILL[feature.get("compliance")] || COMPLIANCE_FILL.none }),
      stroke: new Stroke({ color: selected ? "#111827" : "#475569", width: selected ? 3 : 1 }),
      text: this.map && this.map.getView().getZoom() >= 15 ? new Text({ text: feature.get("name"), font: "12px sans-serif" }) : undefined,
    });
  }

  trackStyle(feature) {
    const { grid, worker } = this.state.filters;
    if (grid && String(feature.get("grid_id")) !== grid) return null;
    if (worker && String(feature.get("worker_id")) !== worker) return null;
    return new Style({
      stroke: new Stroke({ color: feature.get("valid") ? "#1d4ed8" : "#9ca3af", width: 2, lineDash: feature.get("valid") ? undefined : [4, 4] }),
    });
  }

  incidentStyle(feature) {
    const { grid, category, status } = this.state.filters;
    if (grid && String(feature.get("grid_id")) !== grid) return null;
    if (category && feature.get("category") !== category) return null;
    if (status && feature.get("status") !== status) return null;
    const overdue = feature.get("overdue");
    return new Style({
      image: new Circle({
        radius: overdue ? 8 : 6,
        fill: new Fill({ color: STATUS_COLOUR[feature.get("status")] || "#334155" }),
        stroke: new Stroke({ color: overdue ? "#dc2626" : "#ffffff", width: overdue ? 3 : 1.5 }),
      }),
    });
  }

  showPeople(collection) {
    const source = this.people.getSource();
    source.clear();
    source.addFeatures(new GeoJSON().readFeatures(collection, { featureProjection: "EPSG:3857" }));
  }

  replay(points, onDone) {
    this.stopReplay();
    if (!points.length) return;
    const coords = points.map(([, lon, lat]) => fromLonLat([lon, lat]));
    const source = this.replayLayer.getSource();
    const walker = new Feature(new Point(coords[0]));
    walker.set("kind", "walker");
    const trail = new Feature(new LineString([coords[0]]));
    source.addFeatures([trail, walker]);
    this.map.getView().fit(new LineString(coords).getExtent(), { padding: [40, 40, 40, 40], maxZoom: 17 });
    const start = points[0][0];
    const span = Math.max(points[points.length - 1][0] - start, 1);
    const seconds = 12; // the whole patrol replays in 12 s, in proportion to its real timing
    const began = performance.now();
    let index = 0;
    this.replayTimer = setInterval(() => {
      const now = start + ((performance.now() - began) / (seconds * 1000)) * span;
      while (index < points.length - 1 && points[index + 1][0] <= now) index += 1;
      walker.getGeometry().setCoordinates(coords[index]);
      trail.getGeometry().setCoordinates(coords.slice(0, index + 1));
      if (index >= points.length - 1) {
        this.stopReplay(false);
        onDone?.();
      }
    }, 50);
  }

  stopReplay(clear = true) {
    clearInterval(this.replayTimer);
    this.replayTimer = null;
    if (clear) this.replayLayer.getSource().clear();
  }
}

function peopleStyle() {
  return new Style({
    image: new Circle({ radius: 5, fill: new Fill({ color: "#db2777" }), stroke: new Stroke({ color: "#500724", width: 1.5 }) }),
  });
}

function replayStyle(feature) {
  if (feature.get("kind") === "walker") {
    return new Style({ image: new Circle({ radius: 7, fill: new Fill({ color: "#dc2626" }), stroke: new Stroke({ color: "#fff", width: 2 }) }) });
  }
  return new Style({ stroke: new Stroke({ color: "#dc2626", width: 3 }) });
}

export const statusColour = STATUS_COLOUR;
export const complianceFill = COMPLIANCE_FILL;
