"""PostGIS work for patrols: quality re-flagging, derived figures, validity, track output."""

from sqlalchemy import text

from patrol.extensions import db
from patrol.localtime import tz
from patrol.patrols.rules import DEFAULT_RULES
from patrol.patrols.settings import setting

_BOUNDS = text("SELECT min(fix_time) AS lo, max(fix_time) AS hi FROM track_point WHERE patrol_id = ANY(:ids)")

# A spike: an accurate fix that both the fix before and the fix after reach only at more than
# the speed limit. Re-derived over the whole track, so arrival order never changes the result.
_REFLAG = text("""
WITH pts AS (
    SELECT patrol_id, fix_time, geom, flag FROM track_point
    WHERE patrol_id = ANY(:ids) AND fix_time BETWEEN :lo AND :hi AND flag & 1 = 0
), s AS (
    SELECT patrol_id, fix_time, flag,
           ST_DistanceSphere(geom, lag(geom) OVER w)
             / greatest(extract(epoch FROM fix_time - lag(fix_time) OVER w), 1) AS v_in,
           ST_DistanceSphere(geom, lead(geom) OVER w)
             / greatest(extract(epoch FROM lead(fix_time) OVER w - fix_time), 1) AS v_out
    FROM pts WINDOW w AS (PARTITION BY patrol_id ORDER BY fix_time)
), wanted AS (
    SELECT patrol_id, fix_time, flag,
           (flag & ~2) | CASE WHEN v_in > :vmax AND v_out > :vmax THEN 2 ELSE 0 END AS new_flag
    FROM s
)
UPDATE track_point tp SET flag = w.new_flag
FROM wanted w
WHERE tp.patrol_id = w.patrol_id AND tp.fix_time = w.fix_time AND w.new_flag <> w.flag
  AND tp.patrol_id = ANY(:ids) AND tp.fix_time BETWEEN :lo AND :hi
""")

# Figures from clean points (flag 0): the track is split wherever fixes are more than the gap
# apart or an implied step speed exceeds the limit, and nothing is measured across a split.
# Share inside the grid also counts fixes flagged only as far outside (they are outside time).
_FIGURES = text("""
WITH p AS (
    SELECT pa.id, pa.grid_id, g.geom AS grid_geom,
           ST_X(ST_Centroid(g.geom)) AS cx, ST_Y(ST_Centroid(g.geom)) AS cy
    FROM patrol pa JOIN area g ON g.id = pa.grid_id WHERE pa.id = ANY(:ids)
), pts AS (
    SELECT patrol_id, fix_time, geom, flag FROM track_point
    WHERE patrol_id = ANY(:ids) AND fix_time BETWEEN :lo AND :hi
), counted AS (
    SELECT patrol_id, count(*) AS n_all, count(*) FILTER (WHERE flag = 0) AS n_clean FROM pts GROUP BY patrol_id
), clean AS (
    SELECT patrol_id, fix_time, geom,
           extract(epoch FROM fix_time - lag(fix_time) OVER w) AS dt,
           ST_Distance(geom::geography, (lag(geom) OVER w)::geography) AS step_m
    FROM pts WHERE flag = 0
    WINDOW w AS (PARTITION BY patrol_id ORDER BY fix_time)
), steps AS (
    SELECT *, (dt IS NULL OR dt > :gap OR step_m / greatest(dt, 0.001) > :vmax) AS breaks FROM clean
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
        SELECT q.patrol_id, ST_Intersects(p.grid_geom, q.geom) AS inside,
               extract(epoch FROM q.fix_time - lag(q.fix_time) OVER w) AS dt
        FROM pts q JOIN p ON p.id = q.patrol_id
        WHERE q.flag & 3 = 0
        WINDOW w AS (PARTITION BY q.patrol_id ORDER BY q.fix_time)
    ) x
    WHERE x.dt <= :gap
    GROUP BY x.patrol_id
), local AS (
    SELECT t.patrol_id,
           ST_Scale(ST_Translate(p.grid_geom, -p.cx, -p.cy), 111320 * cos(radians(p.cy)), 110574) AS grid_m,
           ST_Scale(ST_Translate(t.track, -p.cx, -p.cy), 111320 * cos(radians(p.cy)), 110574) AS track_m
    FROM tracks t JOIN p ON p.id = t.patrol_id
), covered AS (
    SELECT patrol_id,
           ST_Area(ST_Intersection(grid_m, ST_Buffer(ST_Simplify(track_m, 2), :radius, 'quad_segs=4')))
             / nullif(ST_Area(grid_m), 0) AS coverage
    FROM local
)
UPDATE patrol SET
    point_count = coalesce(c.n_all, 0),
    clean_count = coalesce(c.n_clean, 0),
    track = t.track,
    distance_m = coalesce(w.distance_m, 0),
    duration_s = round(coalesce(w.tracked_s, 0)),
    moving_s = round(coalesce(w.moving_s, 0)),
    inside_share = pr.inside_share,
    coverage = coalesce(cv.coverage, 0),
    computed_at = now(),
    updated_at = now()
FROM p
LEFT JOIN counted c ON c.patrol_id = p.id
LEFT JOIN tracks t ON t.patrol_id = p.id
LEFT JOIN walked w ON w.patrol_id = p.id
LEFT JOIN presence pr ON pr.patrol_id = p.id
LEFT JOIN covered cv ON cv.patrol_id = p.id
WHERE patrol.id = p.id
""")


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
    CASE WHEN pa.computed_at IS NULL THEN 'not_finished' END,
    CASE WHEN pa.computed_at IS NOT NULL AND pa.track IS NULL THEN 'no_track' END,
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


def refresh_figures(patrol_ids):
    """Re-flag speed jumps and recompute every derived figure and the validity of the patrols."""
    ids = list(patrol_ids)
    if not ids:
        return
    bounds = db.session.execute(_BOUNDS, {"ids": ids}).one()
    vmax = setting("PATROL_MAX_SPEED_MPS")
    if bounds.lo is not None:
        db.session.execute(_REFLAG, {"ids": ids, "lo": bounds.lo, "hi": bounds.hi, "vmax": vmax})
        db.session.execute(
            _FIGURES,
            {
                "ids": ids,
                "lo": bounds.lo,
                "hi": bounds.hi,
                "vmax": vmax,
                "gap": setting("PATROL_GAP_S"),
                "moving": setting("PATROL_MOVING_MPS"),
                "radius": setting("PATROL_COVERAGE_RADIUS_M"),
            },
        )
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
    SELECT fix_time, geom, accuracy, speed, heading,
           extract(epoch FROM fix_time - lag(fix_time) OVER w) AS dt,
           ST_Distance(geom::geography, (lag(geom) OVER w)::geography) AS step_m
    FROM track_point WHERE patrol_id = :id AND flag = 0
    WINDOW w AS (ORDER BY fix_time)
)
SELECT fix_time, ST_X(geom) AS lon, ST_Y(geom) AS lat, accuracy, speed, heading,
       sum((dt IS NULL OR dt > :gap OR step_m / greatest(dt, 0.001) > :vmax)::int) OVER (ORDER BY fix_time) AS seg_no
FROM pts ORDER BY fix_time
""")


def clean_points(patrol_id):
    """Clean fixes of a patrol in fix-time order with their segment numbers (for GPX)."""
    return db.session.execute(
        _CLEAN_POINTS, {"id": patrol_id, "gap": setting("PATROL_GAP_S"), "vmax": setting("PATROL_MAX_SPEED_MPS")}
    ).all()
