"""Maps: vector tiles, GeoJSON layers and OGC API - Features."""
