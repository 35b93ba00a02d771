"""Mapbox Vector Tiles built by PostGIS (ST_TileEnvelope, ST_AsMVTGeom, ST_AsMVT) over the feature tables.

Every query takes the caller's scope as bound parameters: `prefix` (area code prefix, '' = all),
`grid_ids` (a worker's grids, or NULL), `worker_id` (a worker sees only their own tracks, or NULL)
and `department_id` (a department sees only incidents dispatched to it, or NULL).
Candidates are picked with the envelope in EPSG:4326 (the stored CRS, so the GiST index applies)
and simplified in degrees for the zoom. From z10 down, the tile is mapped linearly in latitude
instead of through ST_Transform: inside one tile Web Mercator's y departs from a straight line in
latitude by (tile height / 8) * tan(lat) of the tile, under one tile unit everywhere in China
(z10 at 53°N: 0.9 of 1024), and skipping the projection halves the cost of a track tile.
"""

from sqlalchemy import text

from patrol.patrols.published import PATROL_DAYS

_ENV = """
env AS (
    SELECT ST_TileEnvelope(:z, :x, :y) AS e3857,
           ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => 64.0 / :extent), 4326) AS e4326,
           CAST(ST_Transform(ST_TileEnvelope(:z, :x, :y), 4326) AS box2d) AS b4326
)"""

_MERCATOR = "ST_AsMVTGeom(ST_Transform(ST_Simplify({geom}, :tolerance), 3857), env.e3857, :extent, 64, true)"
_LINEAR = "ST_AsMVTGeom(ST_Simplify({geom}, :tolerance), env.b4326, :extent, 64, true)"
LINEAR_FROM_ZOOM = 10

_GRID_SCOPE = """
    a.level = 'grid' AND a.code LIKE :prefix || '%'
    AND (CAST(:grid_ids AS int[]) IS NULL OR a.id = ANY(CAST(:grid_ids AS int[])))"""


def _grids(mvt_geom):
    # The day's figures per grid by a lateral index lookup: a join with an aggregate CTE gets
    # estimated at one row and turns into a nested loop over every pair of grids.
    return text(f"""
WITH {_ENV},
tile AS MATERIALIZED (
    SELECT a.id, a.code, a.name, d.patrols::int AS patrols,
           coalesce(d.am, false) AS am, coalesce(d.pm, false) AS pm,
           CASE WHEN d.am AND d.pm THEN 'full' WHEN d.am OR d.pm THEN 'partial' ELSE 'none' END AS compliance,
           {mvt_geom.format(geom="a.geom")} AS geom
    FROM area a CROSS JOIN env
    CROSS JOIN LATERAL (
        SELECT count(*) AS patrols,
               bool_or(p.valid) FILTER (WHERE p.shift = 'am') AS am,
               bool_or(p.valid) FILTER (WHERE p.shift = 'pm') AS pm
        FROM {PATROL_DAYS} p WHERE p.grid_id = a.id AND p.local_date = :day
    ) d
    WHERE a.geom && env.e4326 AND {_GRID_SCOPE}
)
SELECT ST_AsMVT(tile, 'grids', :extent, 'geom') FROM tile WHERE geom IS NOT NULL
""")


# Tracks are found through their grids (GiST on area, then the (grid, day) index on patrol): a track
# leaves its grid by little, so grids within ~500 m of the tile cover it, and no track is read
# (de-TOASTed) unless its grid is near the tile. MATERIALIZED keeps PostgreSQL from computing
# ST_AsMVTGeom twice (once for the IS NOT NULL filter).
def _tracks(mvt_geom):
    return text(f"""
WITH {_ENV},
near AS MATERIALIZED (
    SELECT a.id FROM area a, env
    WHERE a.geom && ST_Expand(env.e4326, 0.005) AND {_GRID_SCOPE}
),
tile AS MATERIALIZED (
    SELECT p.id::text AS id, p.grid_id, p.worker_id, p.shift, coalesce(p.valid, false) AS valid,
           round(coalesce(p.distance_m, 0))::int AS distance_m, coalesce(p.duration_s, 0) AS duration_s,
           {mvt_geom.format(geom="p.track")} AS geom
    FROM {PATROL_DAYS} p CROSS JOIN env
    WHERE p.grid_id IN (SELECT id FROM near) AND p.local_date = :day
      AND p.track IS NOT NULL AND p.track && env.e4326
      AND (CAST(:worker_id AS int) IS NULL OR p.worker_id = CAST(:worker_id AS int))
)
SELECT ST_AsMVT(tile, 'tracks', :extent, 'geom') FROM tile WHERE geom IS NOT NULL
""")


def _incidents(mvt_geom):
    return text(f"""
WITH {_ENV},
tile AS MATERIALIZED (
    SELECT i.id::text AS id, i.grid_id, i.status, coalesce(parent.code, c.code) AS category,
           (i.status IN ('dispatched', 'in_progress', 'resolved') AND i.due_at < least(:day_end, now())) AS overdue,
           {mvt_geom.format(geom="i.location")} AS geom
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


_BUILDERS = {"grids": _grids, "tracks": _tracks, "incidents": _incidents}
LAYERS = {name: {False: build(_MERCATOR), True: build(_LINEAR)} for name, build in _BUILDERS.items()}


def layer_sql(layer, z):
    """The tile query of the layer for the zoom (linear in latitude from LINEAR_FROM_ZOOM)."""
    return LAYERS[layer][z >= LINEAR_FROM_ZOOM]
