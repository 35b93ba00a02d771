"""Spatial and statistical SQL for incidents."""

from sqlalchemy import text

from patrol.extensions import db

_DUPLICATES = text("""
SELECT i.id, c.code AS category, i.status, i.reported_at, i.description,
       round(ST_Distance(i.location::geography, x.location::geography)::numeric, 1) AS distance_m
FROM incident x
JOIN incident i ON i.id <> x.id AND i.category_id = x.category_id
JOIN incident_category c ON c.id = i.category_id
WHERE x.id = :id
  AND i.status IN ('reported', 'accepted', 'dispatched', 'in_progress', 'resolved')
  AND i.merged_into IS NULL
  AND i.grid_code LIKE substr(x.grid_code, 1, 9) || '%'
  AND i.reported_at BETWEEN x.reported_at - interval '72 hours' AND x.reported_at + interval '72 hours'
  AND i.location && ST_Expand(x.location, 0.002)
  AND ST_DWithin(i.location::geography, x.location::geography, :within)
ORDER BY distance_m, i.reported_at DESC
LIMIT 10
""")


def possible_duplicates(incident_id, within_m=100):
    """Open incidents of the same category within 100 m and 72 h of this one (same street)."""
    rows = db.session.execute(_DUPLICATES, {"id": incident_id, "within": within_m}).mappings().all()
    return [dict(row, distance_m=float(row["distance_m"])) for row in rows]
