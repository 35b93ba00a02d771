"""Key place checks derived from patrols' clean fixes (and one-tap notes), per grid and day."""

from sqlalchemy import text

from patrol.extensions import db
from patrol.patrols.published import CLEAN_FIXES, PATROL_DAYS

# A place is checked on a day when a clean fix of a patrol of its grid on that day lies within
# :distance metres of it, or when a worker left a note there. A place checked every N days is due on
# a day unless it was already checked in the N-1 days before. The box prefilter is generous:
# one degree of longitude is more than 60 km anywhere in China.
_CHECKS = f"""
WITH days AS (
    SELECT CAST(d AS date) AS day
    FROM generate_series(CAST(:from_day AS date), CAST(:to_day AS date), interval '1 day') d
), places AS MATERIALIZED (
    SELECT kp.id, kp.grid_id, kp.name, kp.category, kp.check_every_days, kp.geom,
           ST_Expand(kp.geom, :distance / 60000.0) AS box, CAST(kp.geom AS geography) AS geog,
           CAST(kp.created_at AT TIME ZONE :tz AS date) AS since
    FROM key_place kp
    WHERE kp.active AND kp.grid_id = ANY(:grid_ids)
), checks AS (
    SELECT DISTINCT pl.id AS place_id, p.local_date AS day
    FROM places pl
    JOIN {PATROL_DAYS} p ON p.grid_id = pl.grid_id AND p.local_date BETWEEN :look_from AND :to_day
    JOIN {CLEAN_FIXES} tp ON tp.patrol_id = p.id
         AND tp.fix_time >= :t0 AND tp.fix_time < :t1
         AND tp.geom && pl.box
         AND ST_DWithin(CAST(tp.geom AS geography), pl.geog, :distance)
    UNION
    SELECT n.key_place_id, CAST(n.noted_at AT TIME ZONE :tz AS date)
    FROM key_place_note n JOIN places pl ON pl.id = n.key_place_id
    WHERE n.noted_at >= :t0 AND n.noted_at < :t1
), place_days AS (
    SELECT pl.id, pl.grid_id, pl.name, pl.category, pl.geom, d.day,
           NOT EXISTS (SELECT 1 FROM checks c WHERE c.place_id = pl.id
                       AND c.day BETWEEN d.day - (pl.check_every_days - 1) AND d.day - 1) AS due,
           EXISTS (SELECT 1 FROM checks c WHERE c.place_id = pl.id AND c.day = d.day) AS checked,
           (SELECT max(c.day) FROM checks c WHERE c.place_id = pl.id AND c.day <= d.day) AS last_checked
    FROM places pl JOIN days d ON d.day >= pl.since
)
"""

_STATUS = text(
    _CHECKS
    + """
SELECT pd.grid_id, a.code AS grid_code, a.name AS grid_name, pd.day,
       count(*) FILTER (WHERE pd.due) AS due,
       count(*) FILTER (WHERE pd.due AND pd.checked) AS checked
FROM place_days pd JOIN area a ON a.id = pd.grid_id
GROUP BY pd.grid_id, a.code, a.name, pd.day
ORDER BY pd.day, a.code
"""
)

_MISSED = text(
    _CHECKS
    + """
SELECT pd.id, pd.grid_id, a.code AS grid_code, pd.name, pd.category, pd.last_checked,
       ST_AsGeoJSON(pd.geom, 7)::json AS geometry
FROM place_days pd JOIN area a ON a.id = pd.grid_id
WHERE pd.day = :to_day AND pd.due AND NOT pd.checked
ORDER BY a.code, pd.name, pd.id
"""
)

_PLACE_DAYS = text(
    _CHECKS
    + """
SELECT id, day, due, checked, last_checked FROM place_days ORDER BY id, day
"""
)

_LONGEST = text("SELECT coalesce(max(check_every_days), 1) FROM key_place WHERE active AND grid_id = ANY(:grid_ids)")


def _params(grid_ids, from_day, to_day, distance_m, tz, midnight):
    from datetime import timedelta

    lookback = db.session.execute(_LONGEST, {"grid_ids": list(grid_ids)}).scalar() - 1
    look_from = from_day - timedelta(days=lookback)
    return {
        "grid_ids": list(grid_ids),
        "from_day": from_day,
        "to_day": to_day,
        "look_from": look_from,
        "t0": midnight(look_from),
        "t1": midnight(to_day + timedelta(days=1)),
        "distance": distance_m,
        "tz": tz,
    }


def status(grid_ids, from_day, to_day, distance_m, tz, midnight):
    """Per grid and day: key places due and checked."""
    return db.session.execute(_STATUS, _params(grid_ids, from_day, to_day, distance_m, tz, midnight)).mappings().all()


def missed(grid_ids, day, distance_m, tz, midnight):
    """Key places due on the day and not checked (yet)."""
    return db.session.execute(_MISSED, _params(grid_ids, day, day, distance_m, tz, midnight)).mappings().all()


def place_days(grid_ids, from_day, to_day, distance_m, tz, midnight):
    """Per place and day: due, checked, last checked day."""
    return (
        db.session.execute(_PLACE_DAYS, _params(grid_ids, from_day, to_day, distance_m, tz, midnight)).mappings().all()
    )
