"""Which patrol a tracker fix belongs to: the patrol of its time, never of its arrival.

A tracker patrol spans its fixes: its start is its first fix time and, once closed, its end its last.
A fix within the silence gap (PATROL_TRACKER_SILENCE_MIN) of the fixes of a patrol of its local day joins
it, earlier or later, open or closed; a fix that bridges two patrols merges them;
a fix far from every patrol opens one when it lies in one of the worker's grids inside a shift window.
So a batch delivered late, or shuffled, ends in the same patrols as in-order delivery.
"""

from datetime import timedelta

from sqlalchemy import select, text

from patrol.areas.models import Area
from patrol.auth.scope import worker_grid_ids
from patrol.extensions import db
from patrol.localtime import local_date
from patrol.patrols import queries
from patrol.patrols.models import Patrol
from patrol.patrols.points import far_degrees
from patrol.patrols.rules import effective_rules, shift_for
from patrol.patrols.service import new_patrol_id, start_server_patrol
from patrol.patrols.settings import setting

_WORKER_LOCK = 7_246_005  # advisory lock class (two-key form): one app-path tracker fix at a time per worker

# The span of each of the worker's tracker patrols near the fix (the bounds on fix_time prune partitions).
_NEAR = text("""
SELECT p.id, p.ended_at, s.lo, s.hi FROM patrol p
CROSS JOIN LATERAL (
    SELECT coalesce(min(t.fix_time), p.started_at) AS lo, coalesce(max(t.fix_time), p.started_at) AS hi
    FROM track_point t
    WHERE t.patrol_id = p.id AND t.fix_time >= p.started_at - interval '12 hours'
      AND t.fix_time < p.started_at + interval '2 days'
) s
WHERE p.worker_id = :user_id AND p.source = 'osmand' AND p.local_date = :day
  AND p.started_at BETWEEN CAST(:fix AS timestamptz) - interval '2 days' AND CAST(:fix AS timestamptz) + :silence
  AND CAST(:fix AS timestamptz) BETWEEN s.lo - :silence AND s.hi + :silence
ORDER BY s.lo
""")

# Open patrols of the worker whose last fix lies more than the silence before the fix, or of an earlier day: over.
_OVER = text("""
SELECT p.id FROM patrol p
WHERE p.worker_id = :user_id AND p.source = 'osmand' AND p.ended_at IS NULL
  AND p.started_at < CAST(:fix AS timestamptz)
  AND (p.local_date < :day
       OR coalesce((SELECT max(t.fix_time) FROM track_point t
                    WHERE t.patrol_id = p.id AND t.fix_time >= p.started_at - interval '12 hours'), p.started_at)
          < CAST(:fix AS timestamptz) - :silence)
""")

_MOVE_POINTS = text("""
WITH moved AS (DELETE FROM track_point WHERE patrol_id = :other RETURNING *)
INSERT INTO track_point (patrol_id, fix_time, district_code, geom, accuracy, speed, heading, flag)
SELECT :target, m.fix_time, m.district_code, m.geom, m.accuracy, m.speed, m.heading,
       (m.flag & ~4) | CASE WHEN ST_DWithin(g.geom, m.geom, :far_deg) THEN 0 ELSE 4 END
FROM moved m CROSS JOIN (SELECT a.geom FROM area a JOIN patrol p ON p.grid_id = a.id WHERE p.id = :target) g
ON CONFLICT DO NOTHING
""")

_REFERENCES = text("""
SELECT c.table_name FROM information_schema.columns c JOIN information_schema.tables t USING (table_schema, table_name)
WHERE c.table_schema = current_schema() AND c.column_name = 'patrol_id' AND t.table_type = 'BASE TABLE'
  AND c.table_name NOT LIKE 'track_point%'
""")

_SPAN = text("SELECT min(fix_time) AS lo, max(fix_time) AS hi FROM track_point WHERE patrol_id = :id")


def lock_worker(user_id):
    """Serialise the app path's tracker fixes of one worker (held to the commit)."""
    db.session.execute(text("SELECT pg_advisory_xact_lock(:c, :k)"), {"c": _WORKER_LOCK, "k": user_id})


def patrol_for_fix(user, fix, row):
    """(the tracker patrol the fix belongs to, whether others merged into it); a new patrol, or None."""
    silence = timedelta(minutes=setting("PATROL_TRACKER_SILENCE_MIN"))
    args = {"user_id": user.id, "fix": fix, "silence": silence, "day": local_date(fix)}
    near = db.session.execute(_NEAR, args).all()
    _close_over(args, {row_.id for row_ in near})
    if not near:
        return _open_patrol(user, fix, row), False
    target = db.session.get(Patrol, near[0].id)
    for other in near[1:]:
        _merge(target, db.session.get(Patrol, other.id))
    return target, len(near) > 1


def settle(patrol, stored, merged):
    """After a fix went in: the patrol spans its fixes; figures recomputed when it is closed or its span or
    fixes moved (an open patrol's figures are brought up to date when it is read, as for the lean path)."""
    span = db.session.execute(_SPAN, {"id": patrol.id}).one()
    changed = merged
    if span.lo is not None and span.lo != patrol.started_at:
        patrol.started_at = span.lo
        patrol.local_date = local_date(span.lo)
        patrol.shift, _ = shift_for(span.lo, effective_rules(db.session.get(Area, patrol.grid_id).code))
        changed = True
    if patrol.ended_at is not None and span.hi is not None and span.hi != patrol.ended_at:
        patrol.ended_at = span.hi
    db.session.flush()
    if changed or (stored and patrol.ended_at is not None):
        queries.refresh_figures([patrol.id])


def _close_over(args, keep):
    ids = list(db.session.execute(_OVER, args).scalars())
    close_patrols([pid for pid in ids if pid not in keep])


def close_patrols(ids):
    """Close tracker patrols at their last fix and compute their figures."""
    for patrol_id in ids:
        patrol = db.session.get(Patrol, patrol_id)
        span = db.session.execute(_SPAN, {"id": patrol_id}).one()
        patrol.ended_at = max(span.hi or patrol.started_at, patrol.started_at)
    db.session.flush()
    queries.refresh_figures(ids)


def _merge(target, other):
    """Move `other`'s fixes and references into `target` (a fix bridged them); open if either was open."""
    db.session.flush()
    lat = db.session.execute(text("SELECT ST_Y(ST_Centroid(geom)) FROM area WHERE id = :id"), {"id": target.grid_id})
    params = {"other": other.id, "target": target.id, "far_deg": far_degrees(lat.scalar())}
    db.session.execute(_MOVE_POINTS, params)
    for table in db.session.execute(_REFERENCES).scalars():
        db.session.execute(
            text(f'UPDATE "{table}" SET patrol_id = :target WHERE patrol_id = :other'),  # noqa: S608 (catalog name)
            params,
        )
    if other.ended_at is None:
        target.ended_at = None
    db.session.delete(other)
    db.session.flush()


def _open_patrol(user, fix, row):
    """Start a tracker patrol when the fix lies in one of the worker's grids inside a shift window."""
    grid = (
        db.session.execute(
            select(Area).where(
                Area.id.in_(worker_grid_ids(user, local_date(fix))),
                text("ST_DWithin(area.geom::geography, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography, 50)"),
            ),
            {"lon": row[1], "lat": row[2]},
        )
        .scalars()
        .first()
    )
    if grid is None:
        return None
    _, in_window = shift_for(fix, effective_rules(grid.code))
    if not in_window:
        return None
    patrol_id = new_patrol_id("osmand", user.id, int(row[0]))
    existing = db.session.get(Patrol, patrol_id)
    return existing or start_server_patrol(user, grid, fix, "osmand", patrol_id)
