"""Patrols: GPS tracks, ingest protocols, GPS quality, derived figures, compliance."""
