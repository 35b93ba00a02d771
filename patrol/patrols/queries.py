"""PostGIS work for patrols: quality re-flagging, derived figures, validity, track output."""

from sqlalchemy import text

from patrol.extensions import db
from patrol.localtime import tz
from patrol.patrols.rules import DEFAULT_RULES
from patrol.patrols.settings import setting

_BOUNDS = text("SELECT min(fix_time) AS lo, max(fix_time) AS hi FROM track_point WHERE patrol_id = ANY(:ids)")

# Metres per degree on the WGS-84 ellipsoid at a patrol's grid (meridian and prime-vertical radii of
# curvature). Steps between fixes are short (< 1 km), so the ellipsoidal tangent-plane distance
# sqrt((dlat*ky)^2 + (dlon*kx)^2) agrees with the geodesic (Karney) to far better than 0.01 %,
# at the cost of arithmetic instead of a geodesic call per step.
_SCALE = """
    SELECT pa.id, pa.grid_id, g.geom AS grid_geom, c.cx, c.cy,
           radians(1) * 6378137 * cos(radians(c.cy)) / sqrt(1 - 0.0066943799901 * sin(radians(c.cy)) ^ 2) AS kx,
           radians(1) * 6335439.327 / (1 - 0.0066943799901 * sin(radians(c.cy)) ^ 2) ^ 1.5 AS ky
    FROM patrol pa JOIN area g ON g.id = pa.grid_id
    CROSS JOIN LATERAL (SELECT ST_X(ST_Centroid(g.geom)) AS cx, ST_Y(ST_Centroid(g.geom)) AS cy) c
    WHERE pa.id = ANY(:ids)
"""

# A spike: an accurate fix that both the fix before and the fix after reach only at more than
# the speed limit. Re-derived over the whole track, so arrival order never changes the result.
# p is MATERIALIZED: inlined, the planner joins patrol and area (and takes the centroid) per fix.
_REFLAG = text(f"""
WITH p AS MATERIALIZED ({_SCALE}),
pts AS (
    SELECT t.patrol_id, t.fix_time, ST_X(t.geom) AS x, ST_Y(t.geom) AS y, t.flag, p.kx, p.ky
    FROM track_point t JOIN p ON p.id = t.patrol_id
    WHERE t.patrol_id = ANY(:ids) AND t.fix_time BETWEEN :lo AND :hi AND t.flag & 1 = 0
), s AS (
    SELECT patrol_id, fix_time, flag,
           sqrt(((x - lag(x) OVER w) * kx) ^ 2 + ((y - lag(y) OVER w) * ky) ^ 2)
             / greatest(extract(epoch FROM fix_time - lag(fix_time) OVER w), 1) AS v_in,
           sqrt(((lead(x) OVER w - x) * kx) ^ 2 + ((lead(y) OVER w - y) * ky) ^ 2)
             / greatest(extract(epoch FROM lead(fix_time) OVER w - fix_time), 1) AS v_out
    FROM pts WINDOW w AS (PARTITION BY patrol_id ORDER BY fix_time)
), wanted AS MATERIALIZED (
    SELECT patrol_id, fix_time, new_flag FROM (
        SELECT patrol_id, fix_time, flag,
               (flag & ~2) | CASE WHEN v_in > :vmax AND v_out > :vmax THEN 2 ELSE 0 END AS new_flag
        FROM s
    ) changed
    WHERE new_flag <> flag
)
UPDATE track_point tp SET flag = w.new_flag
FROM wanted w
WHERE tp.patrol_id = w.patrol_id AND tp.fix_time = w.fix_time
  AND tp.patrol_id = ANY(:ids) AND tp.fix_time BETWEEN :lo AND :hi
""")

# Figures from clean points (flag 0): the track is split wherever fixes are more than the gap
# apart, an implied step speed exceeds the limit or a recorded segment starts (seg_start, from GPX
# <trkseg>), and nothing is measured across a split.
# Share inside the grid also counts fixes flagged only as far outside (they are outside time).
_FIGURES_TEMPLATE = f"""
WITH p AS ({_SCALE}),
pts AS (
    SELECT t.patrol_id, t.fix_time, t.geom, t.flag, t.seg_start, ST_X(t.geom) AS x, ST_Y(t.geom) AS y
    FROM track_point t
    WHERE t.patrol_id = ANY(:ids) AND t.fix_time BETWEEN :lo AND :hi
), counted AS (
    SELECT patrol_id, count(*) AS n_all, count(*) FILTER (WHERE flag = 0) AS n_clean FROM pts GROUP BY patrol_id
), clean AS (
    SELECT q.patrol_id, q.fix_time, q.geom, q.seg_start,
           extract(epoch FROM q.fix_time - lag(q.fix_time) OVER w) AS dt,
           sqrt(((q.x - lag(q.x) OVER w) * p.kx) ^ 2 + ((q.y - lag(q.y) OVER w) * p.ky) ^ 2) AS step_m
    FROM pts q JOIN p ON p.id = q.patrol_id
    WHERE q.flag = 0
    WINDOW w AS (PARTITION BY q.patrol_id ORDER BY q.fix_time)
), steps AS (
    SELECT *, (dt IS NULL OR dt > :gap OR seg_start OR step_m / greatest(dt, 0.001) > :vmax) AS breaks FROM clean
), segmented AS (
    SELECT *, sum(breaks::int) OVER (PARTITION BY patrol_id ORDER BY fix_time) AS seg_no FROM steps
), lines AS (
    SELECT patrol_id, seg_no, ST_MakeLine(geom ORDER BY fix_time) AS line
    FROM segmented GROUP BY patrol_id, seg_no HAVING count(*) >= 2
), tracks AS (
    SELECT patrol_id, ST_Multi(ST_Collect(line ORDER BY seg_no)) AS track FROM lines GROUP BY patrol_id
), walked AS (
    SELECT patrol_id,
           sum(step_m) FILTER (WHERE NOT breaks) AS distance_m,
           sum(dt) FILTER (WHERE NOT breaks) AS tracked_s,
           sum(dt) FILTER (WHERE NOT breaks AND step_m / greatest(dt, 0.001) >= :moving) AS moving_s
    FROM steps GROUP BY patrol_id
), presence AS (
    SELECT x.patrol_id, sum(x.dt) FILTER (WHERE x.inside) / nullif(sum(x.dt), 0) AS inside_share
    FROM (
        SELECT q.patrol_id, q.seg_start, ST_Intersects(p.grid_geom, q.geom) AS inside,
               extract(epoch FROM q.fix_time - lag(q.fix_time) OVER w) AS dt
        FROM pts q JOIN p ON p.id = q.patrol_id
        WHERE q.flag & 3 = 0
        WINDOW w AS (PARTITION BY q.patrol_id ORDER BY q.fix_time)
    ) x
    WHERE x.dt <= :gap AND NOT x.seg_start
    GROUP BY x.patrol_id
), cells AS (
    SELECT l.id AS patrol_id, i, j
    FROM (SELECT id, ST_Scale(ST_Translate(grid_geom, -cx, -cy), kx, ky) AS grid_m FROM p) l
    CROSS JOIN LATERAL generate_series(floor(ST_XMin(l.grid_m) / :cell)::int, floor(ST_XMax(l.grid_m) / :cell)::int) i
    CROSS JOIN LATERAL generate_series(floor(ST_YMin(l.grid_m) / :cell)::int, floor(ST_YMax(l.grid_m) / :cell)::int) j
    WHERE ST_Intersects(l.grid_m, ST_SetSRID(ST_MakePoint((i + 0.5) * :cell, (j + 0.5) * :cell), 4326))
), touched AS (
    SELECT DISTINCT q.patrol_id,
           floor((q.x - p.cx) * p.kx / :cell)::int AS i, floor((q.y - p.cy) * p.ky / :cell)::int AS j
    FROM pts q JOIN p ON p.id = q.patrol_id
    WHERE q.flag = 0
), covered AS (
    SELECT c.patrol_id, count(t.i)::float8 / count(*) AS coverage
    FROM cells c LEFT JOIN touched t ON t.patrol_id = c.patrol_id AND t.i = c.i AND t.j = c.j
    GROUP BY c.patrol_id
), fresh AS (
    SELECT p.id, p.grid_id, pa.started_at, pa.ended_at, pa.shift, now() AS computed_at,
           coalesce(c.n_all, 0) AS point_count, coalesce(c.n_clean, 0) AS clean_count, t.track,
           coalesce(w.distance_m, 0) AS distance_m, round(coalesce(w.tracked_s, 0)) AS duration_s,
           round(coalesce(w.moving_s, 0)) AS moving_s, pr.inside_share, coalesce(cv.coverage, 0) AS coverage
    FROM p JOIN patrol pa ON pa.id = p.id
    LEFT JOIN counted c ON c.patrol_id = p.id
    LEFT JOIN tracks t ON t.patrol_id = p.id
    LEFT JOIN walked w ON w.patrol_id = p.id
    LEFT JOIN presence pr ON pr.patrol_id = p.id
    LEFT JOIN covered cv ON cv.patrol_id = p.id
), r AS ({{rules}}),
judged AS (
    SELECT pa.*, {{reasons}} AS reasons FROM fresh pa JOIN r ON r.grid_id = pa.grid_id
)
UPDATE patrol SET
    point_count = j.point_count,
    clean_count = j.clean_count,
    track = j.track,
    distance_m = j.distance_m,
    duration_s = j.duration_s,
    moving_s = j.moving_s,
    inside_share = j.inside_share,
    coverage = j.coverage,
    valid = cardinality(j.reasons) = 0,
    invalid_reasons = CAST(j.reasons AS varchar(32)[]),
    computed_at = j.computed_at,
    updated_at = now()
FROM judged j
WHERE patrol.id = j.id
"""


def grid_rules_sql(grid_filter):
    """SQL for the effective rules per grid (community over street over default); `grid_filter` limits `g`."""
    cols = []
    for name in DEFAULT_RULES:
        cast = {"min_duration_min": "int", "min_inside_share": "float8", "min_coverage": "float8"}.get(name, "time")
        cols.append(f"coalesce(c.{name}, s.{name}, CAST(:d_{name} AS {cast})) AS {name}")
    return f"""
    SELECT g.id AS grid_id, g.code, {", ".join(cols)}
    FROM area g
    LEFT JOIN patrol_rule c ON c.area_code = substr(g.code, 1, 12)
    LEFT JOIN patrol_rule s ON s.area_code = substr(g.code, 1, 9)
    WHERE g.level = 'grid' AND {grid_filter}
    """


def rule_defaults():
    return {f"d_{name}": value for name, value in DEFAULT_RULES.items()}


# Reasons a patrol does not count, from its figures and the rules in force for its grid.
REASONS_SQL = """
array_remove(ARRAY[
    CASE WHEN NOT (
        CAST(pa.started_at AT TIME ZONE :tz AS time) >= CASE pa.shift WHEN 'am' THEN r.am_start ELSE r.pm_start END
        AND CAST(pa.started_at AT TIME ZONE :tz AS time) < CASE pa.shift WHEN 'am' THEN r.am_end ELSE r.pm_end END
    ) THEN 'outside_window' END,
    CASE WHEN pa.ended_at IS NULL THEN 'not_finished' END,
    CASE WHEN pa.computed_at IS NOT NULL AND pa.clean_count < 2 THEN 'no_track' END,
    CASE WHEN coalesce(pa.duration_s, 0) < r.min_duration_min * 60 THEN 'too_short' END,
    CASE WHEN coalesce(pa.inside_share, 0) < r.min_inside_share THEN 'mostly_outside' END,
    CASE WHEN coalesce(pa.coverage, 0) < r.min_coverage THEN 'low_coverage' END
], NULL)
"""

_VALIDITY = text(f"""
WITH r AS ({grid_rules_sql("g.id IN (SELECT grid_id FROM patrol WHERE id = ANY(:ids))")}),
judged AS (
    SELECT pa.id, {REASONS_SQL} AS reasons FROM patrol pa JOIN r ON r.grid_id = pa.grid_id WHERE pa.id = ANY(:ids)
)
UPDATE patrol SET valid = cardinality(j.reasons) = 0,
                  invalid_reasons = CAST(j.reasons AS varchar(32)[])
FROM judged j WHERE patrol.id = j.id
""")


# Figures and the verdict in one statement: the reasons are judged on the freshly computed figures.
_FIGURES = text(_FIGURES_TEMPLATE.format(rules=grid_rules_sql("g.id IN (SELECT grid_id FROM p)"), reasons=REASONS_SQL))

_REJUDGE = text(f"""
WITH r AS ({grid_rules_sql("g.code LIKE :prefix || '%'")}),
judged AS (
    SELECT pa.id, {REASONS_SQL} AS reasons FROM patrol pa JOIN r ON r.grid_id = pa.grid_id
    WHERE pa.district_code = substr(r.code, 1, 6)
)
UPDATE patrol SET valid = cardinality(j.reasons) = 0,
                  invalid_reasons = CAST(j.reasons AS varchar(32)[]), updated_at = now()
FROM judged j
WHERE patrol.id = j.id AND (patrol.valid IS DISTINCT FROM (cardinality(j.reasons) = 0)
                            OR patrol.invalid_reasons IS DISTINCT FROM CAST(j.reasons AS varchar(32)[]))
""")


def rejudge_area(code_prefix):
    """Apply changed rules to the stored verdicts of every patrol in the grids under an area."""
    return db.session.execute(_REJUDGE, {"prefix": code_prefix, "tz": str(tz()), **rule_defaults()}).rowcount


def refresh_figures(patrol_ids):
    """Re-flag speed jumps and recompute every derived figure and the validity of the patrols."""
    ids = list(patrol_ids)
    if not ids:
        return
    bounds = db.session.execute(_BOUNDS, {"ids": ids}).one()
    vmax = setting("PATROL_MAX_SPEED_MPS")
    if bounds.lo is not None:
        # No JIT (PostGIS costs trigger compiles slower than the query); a cached plan once prepared (planning
        # these statements costs about as much as running them for a one-hour patrol).
        db.session.execute(text("SET LOCAL jit = off; SET LOCAL plan_cache_mode = force_generic_plan"))
        db.session.execute(_REFLAG, {"ids": ids, "lo": bounds.lo, "hi": bounds.hi, "vmax": vmax})
        db.session.execute(  # also judges validity from the new figures
            _FIGURES,
            {
                "ids": ids,
                "lo": bounds.lo,
                "hi": bounds.hi,
                "vmax": vmax,
                "gap": setting("PATROL_GAP_S"),
                "moving": setting("PATROL_MOVING_MPS"),
                "cell": setting("PATROL_COVERAGE_CELL_M"),
                "tz": str(tz()),
                **rule_defaults(),
            },
        )
        db.session.execute(text("SET LOCAL plan_cache_mode = auto"))  # the rest of the transaction plans as usual
    else:
        db.session.execute(
            text(
                "UPDATE patrol SET point_count = 0, clean_count = 0, track = NULL, distance_m = 0, duration_s = 0,"
                " moving_s = 0, inside_share = NULL, coverage = 0, computed_at = now(), updated_at = now()"
                " WHERE id = ANY(:ids)"
            ),
            {"ids": ids},
        )
        db.session.execute(_VALIDITY, {"ids": ids, "tz": str(tz()), **rule_defaults()})


_CLEAN_POINTS = text("""
WITH pts AS (
    SELECT fix_time, geom, accuracy, speed, heading, seg_start,
           extract(epoch FROM fix_time - lag(fix_time) OVER w) AS dt,
           ST_Distance(geom::geography, (lag(geom) OVER w)::geography) AS step_m
    FROM track_point WHERE patrol_id = :id AND flag = 0
    WINDOW w AS (ORDER BY fix_time)
)
SELECT fix_time, ST_X(geom) AS lon, ST_Y(geom) AS lat, accuracy, speed, heading,
       sum((dt IS NULL OR dt > :gap OR seg_start OR step_m / greatest(dt, 0.001) > :vmax)::int)
         OVER (ORDER BY fix_time) AS seg_no
FROM pts ORDER BY fix_time
""")


def clean_points(patrol_id):
    """Clean fixes of a patrol in fix-time order with their segment numbers (for GPX)."""
    return db.session.execute(
        _CLEAN_POINTS, {"id": patrol_id, "gap": setting("PATROL_GAP_S"), "vmax": setting("PATROL_MAX_SPEED_MPS")}
    ).all()
