"""Spatial SQL for area import checks and lookups."""

from sqlalchemy import text

from patrol.extensions import db

_IMPORT_PROBLEMS = text("""
WITH incoming AS (
    SELECT idx, code, ST_SetSRID(ST_GeomFromWKB(decode(wkb, 'hex')), 4326) AS geom
    FROM unnest(CAST(:idx AS int[]), CAST(:codes AS text[]), CAST(:wkbs AS text[])) AS t(idx, code, wkb)
), checked AS (
    SELECT idx, code, geom, ST_IsValid(geom) AS valid, ST_IsValidReason(geom) AS reason FROM incoming
), parent AS (
    SELECT geom FROM area WHERE id = :parent_id
)
SELECT idx, code, 'invalid_polygon' AS problem, reason AS detail FROM checked WHERE NOT valid
UNION ALL
SELECT c.idx, c.code, 'outside_parent',
       round(ST_Area(ST_Difference(c.geom, p.geom)::geography))::text || ' m²'
FROM checked c CROSS JOIN parent p
WHERE c.valid AND ST_Area(ST_Difference(c.geom, p.geom)::geography) > :tolerance
UNION ALL
SELECT a.idx, a.code, 'overlaps_sibling',
       b.code || ' (' || round(ST_Area(ST_Intersection(a.geom, b.geom)::geography))::text || ' m²)'
FROM checked a JOIN checked b ON a.idx < b.idx AND a.valid AND b.valid AND ST_Intersects(a.geom, b.geom)
WHERE ST_Area(ST_Intersection(a.geom, b.geom)::geography) > :tolerance
UNION ALL
SELECT c.idx, c.code, 'overlaps_sibling',
       s.code || ' (' || round(ST_Area(ST_Intersection(c.geom, s.geom)::geography))::text || ' m²)'
FROM checked c JOIN area s
  ON s.level = :level AND s.parent_id IS NOT DISTINCT FROM CAST(:parent_id AS int)
 AND s.code <> ALL(CAST(:codes AS text[])) AND c.valid AND ST_Intersects(c.geom, s.geom)
WHERE ST_Area(ST_Intersection(c.geom, s.geom)::geography) > :tolerance
UNION ALL
SELECT c.idx, c.code, 'code_taken', 'code is used by ' || s.level || ' ' || s.name
FROM checked c JOIN area s ON s.code = c.code
WHERE s.level <> :level OR s.parent_id IS DISTINCT FROM CAST(:parent_id AS int)
ORDER BY 1, 3
""")


def import_problems(features, level, parent_id, tolerance_m2):
    """Every spatial reason to refuse an import, per feature, in one round trip.

    `features` is a list of (index, code, shapely geometry).
    """
    rows = db.session.execute(
        _IMPORT_PROBLEMS,
        {
            "idx": [index for index, _, _ in features],
            "codes": [code for _, code, _ in features],
            "wkbs": [geom.wkb_hex for _, _, geom in features],
            "parent_id": parent_id,
            "level": level,
            "tolerance": tolerance_m2,
        },
    ).all()
    return [{"index": r.idx, "code": r.code, "problem": r.problem, "detail": r.detail} for r in rows]


_GRID_AT = text("""
SELECT id FROM area
WHERE level = 'grid'
  AND geom && ST_Expand(ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :within / 50000.0)
  AND ST_DWithin(geom::geography, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography, :within)
  AND (CAST(:prefix AS text) IS NULL OR code LIKE CAST(:prefix AS text) || '%')
ORDER BY ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography), id
LIMIT 1
""")


def grid_at(lon, lat, within_m=50.0, code_prefix=None):
    """The grid containing a point, else the nearest within `within_m` metres, else None."""
    return db.session.execute(_GRID_AT, {"lon": lon, "lat": lat, "within": within_m, "prefix": code_prefix}).scalar()
