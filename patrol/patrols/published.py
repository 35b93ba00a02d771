"""What the patrols feature offers the others: patrol days with verdicts and track lines, clean fixes,
patrols in scope, their figures and compliance.

Other features use patrols only through this module (imports enforced by .importlinter). In SQL they
read `PATROL_DAYS` and `CLEAN_FIXES` instead of the `patrol` and `track_point` tables: PostgreSQL pulls
such plain sub-selects up into the outer query, so indexes and partition pruning work as before.
"""

from sqlalchemy import text

from patrol.extensions import db
from patrol.patrols.schemas import patrol_properties
from patrol.patrols.service import get_patrol, list_patrols
from patrol.patrols.stats import REASON_ZH, compliance_rows, reasons_text

# One row per patrol: its grid, worker, local day and shift, times, track line, figures and verdict
# (valid: counts for 一日双巡; NULL until computed; invalid_reasons says why not).
PATROL_DAYS = """(SELECT id, worker_id, grid_id, local_date, shift, source, started_at, ended_at, track,
    distance_m, duration_s, inside_share, coverage, valid, invalid_reasons FROM patrol)"""

# The fixes that count: no quality flag (accuracy, speed spike, far outside the grid).
CLEAN_FIXES = "(SELECT patrol_id, fix_time, geom FROM track_point WHERE flag = 0)"

_RUNNING = text(f"""
SELECT id FROM {PATROL_DAYS} p
WHERE worker_id = :worker_id AND grid_id = :grid_id AND started_at <= :at
  AND (ended_at IS NULL OR ended_at >= :at)
ORDER BY started_at DESC LIMIT 1
""")

_RUNNING_NEAR = text(f"""
SELECT p.id FROM {PATROL_DAYS} p
WHERE p.worker_id = :worker_id
  AND p.started_at <= :at
  AND coalesce(p.ended_at, p.started_at + interval '6 hours') >= :at
  AND (p.grid_id = :grid_id
       OR (p.track IS NOT NULL AND CAST(:lon AS float) IS NOT NULL
           AND ST_DWithin(p.track::geography, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography, 200)))
ORDER BY p.started_at DESC
LIMIT 1
""")

_FACTS = text(f"SELECT id, worker_id, grid_id, local_date, started_at, ended_at FROM {PATROL_DAYS} p WHERE id = :id")


def running_patrol(worker_id, grid_id, at):
    """The worker's patrol of that grid under way at that moment, if any (its id)."""
    return db.session.execute(_RUNNING, {"worker_id": worker_id, "grid_id": grid_id, "at": at}).scalar()


def patrol_near(worker_id, at, grid_id, lon=None, lat=None):
    """The worker's patrol running at that time in that grid, or passing within 200 m of (lon, lat)."""
    params = {"worker_id": worker_id, "at": at, "grid_id": grid_id, "lon": lon, "lat": lat}
    return db.session.execute(_RUNNING_NEAR, params).scalar()


def patrol_facts(patrol_id):
    """A patrol's worker, grid, day and times (a mapping), or None when the server has no such patrol."""
    return db.session.execute(_FACTS, {"id": patrol_id}).mappings().first()


__all__ = [
    "CLEAN_FIXES",
    "PATROL_DAYS",
    "REASON_ZH",
    "compliance_rows",
    "get_patrol",
    "list_patrols",
    "patrol_facts",
    "patrol_near",
    "patrol_properties",
    "reasons_text",
    "running_patrol",
]
