"""Spatial SQL for area import checks and lookups."""

from sqlalchemy import text

from patrol.extensions import db

MAX_LISTED_PROBLEMS = 100

# The incoming features go to a GiST-indexed temporary table, so the sibling overlap check is an
# index join (&&, then ST_Intersects) rather than a comparison of every pair.
_LOAD_INCOMING = (
    text("DROP TABLE IF EXISTS import_incoming"),
    text("""
CREATE TEMPORARY TABLE import_incoming ON COMMIT DROP AS
SELECT idx, code, geom, ST_IsValid(geom) AS valid, ST_IsValidReason(geom) AS reason
FROM (
    SELECT idx, code, ST_SetSRID(ST_GeomFromWKB(decode(wkb, 'hex')), 4326) AS geom
    FROM unnest(CAST(:idx AS int[]), CAST(:codes AS text[]), CAST(:wkbs AS text[])) AS t(idx, code, wkb)
) AS incoming
"""),
    text("CREATE INDEX ON import_incoming USING gist (geom)"),
    text("ANALYZE import_incoming"),
)

_IMPORT_PROBLEMS = text("""
WITH parent AS (
    SELECT geom FROM area WHERE id = :parent_id
), problems AS (
    SELECT idx, code, 'invalid_polygon' AS problem, reason AS detail FROM import_incoming WHERE NOT valid
    UNION ALL
    SELECT c.idx, c.code, 'outside_parent',
           round(ST_Area(ST_Difference(c.geom, p.geom)::geography))::text || ' m²'
    FROM import_incoming c CROSS JOIN parent p
    WHERE c.valid AND ST_Area(ST_Difference(c.geom, p.geom)::geography) > :tolerance
    UNION ALL
    SELECT a.idx, a.code, 'overlaps_sibling',
           b.code || ' (' || round(ST_Area(ST_Intersection(a.geom, b.geom)::geography))::text || ' m²)'
    FROM import_incoming a JOIN import_incoming b
      ON a.idx < b.idx AND a.geom && b.geom AND a.valid AND b.valid AND ST_Intersects(a.geom, b.geom)
    WHERE ST_Area(ST_Intersection(a.geom, b.geom)::geography) > :tolerance
    UNION ALL
    SELECT c.idx, c.code, 'overlaps_sibling',
           s.code || ' (' || round(ST_Area(ST_Intersection(c.geom, s.geom)::geography))::text || ' m²)'
    FROM import_incoming c JOIN area s
      ON s.geom && c.geom AND s.level = :level AND s.parent_id IS NOT DISTINCT FROM CAST(:parent_id AS int)
     AND s.code <> ALL(CAST(:codes AS text[])) AND c.valid AND ST_Intersects(c.geom, s.geom)
    WHERE ST_Area(ST_Intersection(c.geom, s.geom)::geography) > :tolerance
    UNION ALL
    SELECT c.idx, c.code, 'code_taken', 'code is used by ' || s.level || ' ' || s.name
    FROM import_incoming c JOIN area s ON s.code = c.code
    WHERE s.level <> :level OR s.parent_id IS DISTINCT FROM CAST(:parent_id AS int)
)
SELECT idx, code, problem, detail, count(*) OVER () AS total
FROM problems ORDER BY idx, problem, detail LIMIT :listed
""")


def import_problems(features, level, parent_id, tolerance_m2):
    """The first spatial reasons to refuse an import (per feature) and how many there are in all.

    `features` is a list of (index, code, shapely geometry); -> (problems, total).
    """
    codes = [code for _, code, _ in features]
    load = {"idx": [index for index, _, _ in features], "codes": codes, "wkbs": [g.wkb_hex for _, _, g in features]}
    for statement in _LOAD_INCOMING:
        db.session.execute(statement, load if "unnest" in statement.text else {})
    rows = db.session.execute(
        _IMPORT_PROBLEMS,
        {
            "codes": codes,
            "parent_id": parent_id,
            "level": level,
            "tolerance": tolerance_m2,
            "listed": MAX_LISTED_PROBLEMS,
        },
    ).all()
    problems = [{"index": r.idx, "code": r.code, "problem": r.problem, "detail": r.detail} for r in rows]
    return problems, rows[0].total if rows else 0


_CHILDREN_OUTSIDE = text("""
SELECT f.idx, p.code, 'children_outside' AS problem,
       k.level || ' ' || k.code || ' ' || k.name || ' ('
       || round(ST_Area(ST_Difference(k.geom, p.geom)::geography))::text || ' m² outside)' AS detail,
       count(*) OVER () AS total
FROM unnest(CAST(:idx AS int[]), CAST(:codes AS text[])) AS f(idx, code)
JOIN area p ON p.code = f.code AND p.level = :level
JOIN area k ON k.parent_id = p.id
WHERE ST_Area(ST_Difference(k.geom, p.geom)::geography) > :tolerance
ORDER BY f.idx, k.code LIMIT :listed
""")


def children_outside(codes_by_index, level, tolerance_m2):
    """Children (stored, or imported in the same file) left outside their parent's stored boundary.

    -> (first problems, total), like import_problems.
    """
    rows = db.session.execute(
        _CHILDREN_OUTSIDE,
        {"idx": list(codes_by_index), "codes": list(codes_by_index.values()), "level": level,
         "tolerance": tolerance_m2, "listed": MAX_LISTED_PROBLEMS},
    ).all()  # fmt: skip
    problems = [{"index": r.idx, "code": r.code, "problem": r.problem, "detail": r.detail} for r in rows]
    return problems, rows[0].total if rows else 0


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
