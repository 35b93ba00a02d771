// The map (Leaflet) loads on first use, so the home screen starts without parsing it.
import { useEffect, useState } from "preact/hooks";

let loaded = null;

export function LazyMap(props) {
  const [MapView, setMapView] = useState(() => loaded);
  useEffect(() => {
    if (!loaded) {
      import("./MapView.jsx").then((module) => {
        loaded = module.MapView;
        setMapView(() => loaded);
      });
    }
  }, []);
  return MapView ? <MapView {...props} /> : <div class="map plain" style={{ height: `${props.height || 320}px` }} />;
}
