"""Mapbox Vector Tiles built by PostGIS (ST_TileEnvelope, ST_AsMVTGeom, ST_AsMVT) over the feature tables.

Every query takes the caller's scope as bound parameters: `prefix` (area code prefix, '' = all),
`grid_ids` (a worker's grids, or NULL), `worker_id` (a worker sees only their own tracks, or NULL)
and `department_id` (a department sees only incidents dispatched to it, or NULL).
Candidates are picked with the envelope in EPSG:4326 (the stored CRS, so the GiST index applies),
simplified in degrees for the zoom, and only then transformed to Web Mercator.
"""

from sqlalchemy import text

_ENV = """
env AS (
    SELECT ST_TileEnvelope(:z, :x, :y) AS e3857,
           ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => 64.0 / :extent), 4326) AS e4326
)"""

_MVT_GEOM = "ST_AsMVTGeom(ST_Transform(ST_Simplify({geom}, :tolerance), 3857), env.e3857, :extent, 64, true)"

_GRID_SCOPE = """
    a.level = 'grid' AND a.code LIKE :prefix || '%'
    AND (CAST(:grid_ids AS int[]) IS NULL OR a.id = ANY(CAST(:grid_ids AS int[])))"""

GRIDS = text(f"""
WITH {_ENV},
day AS (
    SELECT p.grid_id,
           bool_or(p.valid) FILTER (WHERE p.shift = 'am') AS am,
           bool_or(p.valid) FILTER (WHERE p.shift = 'pm') AS pm,
           count(*) AS patrols
    FROM patrol p
    WHERE p.local_date = :day AND p.district_code LIKE substr(:prefix, 1, 6) || '%'
    GROUP BY p.grid_id
),
tile AS MATERIALIZED (
    SELECT a.id, a.code, a.name, coalesce(d.patrols, 0)::int AS patrols,
           coalesce(d.am, false) AS am, coalesce(d.pm, false) AS pm,
           CASE WHEN d.am AND d.pm THEN 'full' WHEN d.am OR d.pm THEN 'partial' ELSE 'none' END AS compliance,
           {_MVT_GEOM.format(geom="a.geom")} AS geom
    FROM area a CROSS JOIN env
    LEFT JOIN day d ON d.grid_id = a.id
    WHERE a.geom && env.e4326 AND {_GRID_SCOPE}
)
SELECT ST_AsMVT(tile, 'grids', :extent, 'geom') FROM tile WHERE geom IS NOT NULL
""")

# Tracks are found through their grids (GiST on area, then the (grid, day) index on patrol): a track
# leaves its grid by little, so grids within ~500 m of the tile cover it, and no track is read
# (de-TOASTed) unless its grid is near the tile. MATERIALIZED keeps PostgreSQL from computing
# ST_AsMVTGeom twice (once for the IS NOT NULL filter).
TRACKS = text(f"""
WITH {_ENV},
near AS MATERIALIZED (
    SELECT a.id FROM area a, env
    WHERE a.geom && ST_Expand(env.e4326, 0.005) AND {_GRID_SCOPE}
),
tile AS MATERIALIZED (
    SELECT p.id::text AS id, p.grid_id, p.worker_id, p.shift, coalesce(p.valid, false) AS valid,
           round(coalesce(p.distance_m, 0))::int AS distance_m, coalesce(p.duration_s, 0) AS duration_s,
           {_MVT_GEOM.format(geom="p.track")} AS geom
    FROM patrol p CROSS JOIN env
    WHERE p.grid_id IN (SELECT id FROM near) AND p.local_date = :day
      AND p.track IS NOT NULL AND p.track && env.e4326
      AND (CAST(:worker_id AS int) IS NULL OR p.worker_id = CAST(:worker_id AS int))
)
SELECT ST_AsMVT(tile, 'tracks', :extent, 'geom') FROM tile WHERE geom IS NOT NULL
""")

INCIDENTS = text(f"""
WITH {_ENV},
tile AS MATERIALIZED (
    SELECT i.id::text AS id, i.grid_id, i.status, coalesce(parent.code, c.code) AS category,
           (i.status IN ('dispatched', 'in_progress', 'resolved') AND i.due_at < least(:day_end, now())) AS overdue,
           ST_AsMVTGeom(ST_Transform(i.location, 3857), env.e3857, :extent, 64, true) AS geom
    FROM incident i CROSS JOIN env
    JOIN incident_category c ON c.id = i.category_id
    LEFT JOIN incident_category parent ON parent.id = c.parent_id
    WHERE i.location && env.e4326 AND i.merged_into IS NULL
      AND i.reported_at < :day_end AND (i.closed_at IS NULL OR i.closed_at >= :day_start)
      AND i.grid_code LIKE :prefix || '%'
      AND (CAST(:grid_ids AS int[]) IS NULL OR i.grid_id = ANY(CAST(:grid_ids AS int[]))
           OR i.reporter_id = CAST(:worker_id AS int))
      AND (CAST(:department_id AS int) IS NULL OR i.department_id = CAST(:department_id AS int))
)
SELECT ST_AsMVT(tile, 'incidents', :extent, 'geom') FROM tile WHERE geom IS NOT NULL
""")

LAYERS = {"grids": GRIDS, "tracks": TRACKS, "incidents": INCIDENTS}
