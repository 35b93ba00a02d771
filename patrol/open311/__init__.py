"""Open311 GeoReport v2: work orders from upstream platforms (12345 hotline) and results sent back."""
