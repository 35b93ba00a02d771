"""SQL over task items, key places and patrol participants; other features' tables are only read."""

from sqlalchemy import text

from patrol.extensions import db
from patrol.patrols import published as patrols
from patrol.patrols.published import PATROL_DAYS

# Whether a task item (alias ti, its task t) is done: tapped, or fulfilled from what the worker already
# recorded between the task's counts_from and its due date (visits, patrols incl. joint ones, incidents).
ITEM_DONE = f"""
coalesce(EXISTS (SELECT 1 FROM task_completion c WHERE c.item_id = ti.id)
 OR (t.fulfil_by = 'visit' AND ti.person_id IS NOT NULL AND EXISTS (
        SELECT 1 FROM visit v WHERE v.person_id = ti.person_id
           AND v.visit_date BETWEEN t.counts_from AND t.due_date))
 OR (t.fulfil_by = 'visit' AND ti.person_id IS NULL AND (
        SELECT count(*) FROM visit v WHERE v.worker_id = ti.worker_id AND v.grid_id = ti.grid_id
           AND v.visit_date BETWEEN t.counts_from AND t.due_date) >= ti.units)
 OR (t.fulfil_by = 'patrol' AND (
        SELECT count(*) FROM {PATROL_DAYS} p WHERE p.grid_id = ti.grid_id
           AND p.local_date BETWEEN t.counts_from AND t.due_date
           AND p.ended_at IS NOT NULL AND p.valid IS NOT FALSE
           AND (p.worker_id = ti.worker_id OR EXISTS (
                SELECT 1 FROM patrol_participant pp WHERE pp.patrol_id = p.id AND pp.user_id = ti.worker_id)))
        >= ti.units)
 OR (t.fulfil_by = 'incident' AND (
        SELECT count(*) FROM incident i WHERE i.reporter_id = ti.worker_id AND i.grid_id = ti.grid_id
           AND (i.reported_at AT TIME ZONE :tz)::date BETWEEN t.counts_from AND t.due_date) >= ti.units), false)
"""

_ITEMS = text(f"""
SELECT ti.id, ti.task_id, ti.worker_id, ti.grid_id, ti.key_place_id, ti.person_id, ti.label, ti.units,
       ti.updated_at, t.title, t.type_code, t.type_name, t.instruction, t.due_date, t.photo_required,
       t.fulfil_by, t.minutes_per_item, t.department_id,
       c.id AS completion_id, c.completed_at, coalesce(c.patrol_id, c.pending_patrol_id) AS patrol_id,
       c.note, c.photo_ids,
       {ITEM_DONE} AS done,
       ST_AsGeoJSON(kp.geom, 7)::json AS place_geometry, kp.name AS place_name
FROM task_item ti
JOIN task t ON t.id = ti.task_id
LEFT JOIN task_completion c ON c.item_id = ti.id
LEFT JOIN key_place kp ON kp.id = ti.key_place_id
WHERE t.status = 'active'
  AND (CAST(:worker_id AS int) IS NULL OR ti.worker_id = :worker_id)
  AND (CAST(:task_id AS uuid) IS NULL OR ti.task_id = :task_id)
  AND (CAST(:item_id AS int) IS NULL OR ti.id = :item_id)
  AND (CAST(:due_from AS date) IS NULL OR t.due_date >= :due_from)
  AND ti.grid_id = ANY(:grid_ids)
ORDER BY t.due_date, t.created_at, ti.grid_id, ti.label, ti.id
""")


def items(tz, grid_ids, worker_id=None, task_id=None, item_id=None, due_from=None):
    """Task items with their completion and derived done state."""
    params = {
        "tz": tz,
        "grid_ids": list(grid_ids),
        "worker_id": worker_id,
        "task_id": task_id,
        "item_id": item_id,
        "due_from": due_from,
    }
    return db.session.execute(_ITEMS, params).mappings().all()


# Upstream work orders (patrol/open311) count too: the client's minutes for each worker holding the grid.
_WEEK_LOAD = text("""
SELECT worker_id, sum(minutes)::int AS minutes FROM (
    SELECT ti.worker_id, ti.units * t.minutes_per_item AS minutes
    FROM task_item ti JOIN task t ON t.id = ti.task_id
    WHERE t.status = 'active' AND t.pushed_on >= :monday AND t.pushed_on < :monday + 7
      AND ti.worker_id = ANY(:worker_ids)
    UNION ALL
    SELECT ga.user_id, c.minutes_per_order
    FROM (SELECT r.*, CAST((r.received_at AT TIME ZONE :tz) AS date) AS day FROM open311_request r) o
    JOIN incident i ON i.id = o.incident_id
    JOIN open311_client c ON c.id = o.client_id
    JOIN grid_assignment ga ON ga.grid_id = i.grid_id AND ga.start_date <= o.day
         AND (ga.end_date IS NULL OR ga.end_date >= o.day)
    WHERE o.day >= :monday AND o.day < :monday + 7 AND ga.user_id = ANY(:worker_ids)
) pushed
GROUP BY worker_id
""")


def week_load(worker_ids, monday, tz):
    """{worker id: estimated minutes of pushed work (task items, upstream orders) received in that week}."""
    rows = db.session.execute(_WEEK_LOAD, {"worker_ids": list(worker_ids), "monday": monday, "tz": tz}).all()
    return {row.worker_id: row.minutes for row in rows}


_PERSONS = text("""
SELECT id, name, grid_id FROM person
WHERE id = ANY(:ids) AND grid_id = ANY(:grid_ids) AND active
ORDER BY id
""")


def persons_in_grids(person_ids, grid_ids):
    """(id, name, grid_id) of active persons among `person_ids` who live in the grids."""
    return db.session.execute(_PERSONS, {"ids": list(person_ids), "grid_ids": list(grid_ids)}).all()


def running_patrol(worker_id, grid_id, at):
    """The worker's patrol of that grid under way at that moment, if any."""
    return patrols.running_patrol(worker_id, grid_id, at)


def patrol_facts(patrol_id):
    """The few facts of a patrol this feature needs (worker, grid, day, times), or None."""
    return patrols.patrol_facts(patrol_id)
