// Leaflet map of my grid: boundary, position with accuracy, track (gaps as gaps), markers, a draggable pin.
import L from "leaflet";
import "leaflet/dist/leaflet.css";
import { useEffect, useRef } from "preact/hooks";
import { gcjToWgs, polygons, wgsToGcj } from "./geo.js";
import { t } from "./i18n.js";

function projection(basemap) {
  const gcj = basemap && basemap.url && basemap.crs === "gcj02";
  return {
    show: ([lon, lat]) => {
      const [x, y] = gcj ? wgsToGcj([lon, lat]) : [lon, lat];
      return [y, x];
    },
    back: (latlng) => (gcj ? gcjToWgs([latlng.lng, latlng.lat]) : [latlng.lng, latlng.lat]),
  };
}

export function MapView({ grids = [], basemap, segments = [], position, markers = [], pin, onPin, height = 320 }) {
  const element = useRef(null);
  const map = useRef(null);
  const layers = useRef({});
  const proj = projection(basemap);

  useEffect(() => {
    const instance = L.map(element.current, { zoomControl: true, attributionControl: true, maxZoom: 19 });
    instance.attributionControl.setPrefix("Leaflet");
    if (basemap && basemap.url) {
      const options = { attribution: basemap.attribution, maxZoom: basemap.max_zoom || 18, subdomains: basemap.subdomains || "abc" };
      L.tileLayer(basemap.url, options).addTo(instance);
      if (basemap.labels_url) L.tileLayer(basemap.labels_url, { ...options, attribution: "" }).addTo(instance);
    }
    layers.current.grid = L.layerGroup().addTo(instance);
    layers.current.track = L.layerGroup().addTo(instance);
    layers.current.markers = L.layerGroup().addTo(instance);
    layers.current.me = L.layerGroup().addTo(instance);
    instance.setView([30.2846, 120.1229], 16);
    if (onPin) instance.on("click", (event) => onPin(proj.back(event.latlng)));
    map.current = instance;
    return () => instance.remove();
  }, [basemap && basemap.url]);

  useEffect(() => {
    const group = layers.current.grid;
    group.clearLayers();
    const bounds = [];
    for (const grid of grids) {
      for (const rings of polygons(grid.geometry)) {
        const latlngs = rings.map((ring) => ring.map(proj.show));
        bounds.push(...latlngs[0]);
        L.polygon(latlngs, { color: "#0b6e4f", weight: 3, fillOpacity: 0.08 }).addTo(group);
      }
    }
    if (bounds.length) map.current.fitBounds(bounds, { padding: [12, 12] });
  }, [grids]);

  useEffect(() => {
    const group = layers.current.track;
    group.clearLayers();
    for (const segment of segments) {
      L.polyline(segment.map((fix) => proj.show([fix.lon, fix.lat])), { color: "#d9480f", weight: 4 }).addTo(group);
    }
  }, [segments]);

  useEffect(() => {
    const group = layers.current.markers;
    group.clearLayers();
    for (const marker of markers) {
      L.circleMarker(proj.show(marker.point), { radius: marker.radius || 7, color: marker.color || "#1c7ed6", fillOpacity: 0.8 })
        .bindTooltip(marker.label || "")
        .addTo(group);
    }
  }, [markers]);

  useEffect(() => {
    const group = layers.current.me;
    group.clearLayers();
    if (position) {
      const at = proj.show([position.lon, position.lat]);
      if (position.acc) L.circle(at, { radius: position.acc, weight: 1, color: "#1971c2", fillOpacity: 0.1 }).addTo(group);
      L.circleMarker(at, { radius: 6, color: "#fff", weight: 2, fillColor: "#1971c2", fillOpacity: 1 }).addTo(group);
    }
    if (pin) {
      const icon = L.divIcon({ className: "pin", iconSize: [28, 28], iconAnchor: [14, 28] });
      const marker = L.marker(proj.show(pin), { draggable: true, icon, autoPan: true }).addTo(group);
      marker.on("dragend", () => onPin && onPin(proj.back(marker.getLatLng())));
      map.current.panTo(proj.show(pin));
    }
  }, [position, pin && pin[0], pin && pin[1]]);

  return <div ref={element} class={basemap && basemap.url ? "map" : "map plain"} style={{ height: `${height}px` }} />;
}
