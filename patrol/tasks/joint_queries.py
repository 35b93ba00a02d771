"""Joint patrol figures: patrols, participants and person-hours; patrols credited to participating workers."""

from sqlalchemy import text

from patrol.extensions import db
from patrol.patrols.published import PATROL_DAYS

_PATROLS = f"""
WITH p AS (
    SELECT p.id, p.grid_id, p.worker_id, p.local_date,
           coalesce(p.duration_s, extract(epoch FROM p.ended_at - p.started_at)) / 3600.0 AS hours
    FROM {PATROL_DAYS} p
    WHERE p.grid_id = ANY(:grid_ids) AND p.local_date BETWEEN :from_day AND :to_day AND p.ended_at IS NOT NULL
), others AS (
    SELECT pp.patrol_id, count(*) AS n FROM patrol_participant pp JOIN p ON p.id = pp.patrol_id GROUP BY pp.patrol_id
)
"""

_BY_GRID = text(
    _PATROLS
    + """
SELECT p.grid_id, a.code AS grid_code, a.name AS grid_name,
       count(*) AS patrols,
       count(*) FILTER (WHERE o.n > 0) AS joint_patrols,
       sum(1 + coalesce(o.n, 0))::int AS participants,
       round(CAST(sum(p.hours * (1 + coalesce(o.n, 0))) AS numeric), 2) AS person_hours,
       round(CAST(sum(p.hours) AS numeric), 2) AS patrol_hours
FROM p LEFT JOIN others o ON o.patrol_id = p.id JOIN area a ON a.id = p.grid_id
GROUP BY p.grid_id, a.code, a.name
ORDER BY a.code
"""
)

# A participant linked to a user who holds the patrol's grid that day gets the patrol credited.
_CREDITED = text(
    _PATROLS
    + """
, credit AS (
    SELECT p.worker_id, p.grid_id, p.id, false AS joined, p.hours FROM p
    UNION
    SELECT pp.user_id, p.grid_id, p.id, true, p.hours
    FROM p JOIN patrol_participant pp ON pp.patrol_id = p.id
    JOIN grid_assignment ga ON ga.user_id = pp.user_id AND ga.grid_id = p.grid_id
         AND ga.start_date <= p.local_date AND (ga.end_date IS NULL OR ga.end_date >= p.local_date)
    WHERE pp.user_id IS NOT NULL AND pp.user_id <> p.worker_id
)
SELECT c.worker_id, u.full_name AS worker_name, c.grid_id, a.code AS grid_code,
       count(DISTINCT c.id) FILTER (WHERE NOT c.joined) AS own_patrols,
       count(DISTINCT c.id) FILTER (WHERE c.joined) AS joined_patrols,
       count(DISTINCT c.id) AS credited_patrols,
       round(CAST(sum(c.hours) AS numeric), 2) AS hours
FROM credit c JOIN app_user u ON u.id = c.worker_id JOIN area a ON a.id = c.grid_id
GROUP BY c.worker_id, u.full_name, c.grid_id, a.code
ORDER BY a.code, c.worker_id
"""
)


def by_grid(grid_ids, from_day, to_day):
    """Per grid: patrols, joint patrols, participants and person-hours."""
    params = {"grid_ids": list(grid_ids), "from_day": from_day, "to_day": to_day}
    return db.session.execute(_BY_GRID, params).mappings().all()


def credited(grid_ids, from_day, to_day):
    """Per worker and grid: own patrols, patrols joined as a participant, and the credited total."""
    params = {"grid_ids": list(grid_ids), "from_day": from_day, "to_day": to_day}
    return db.session.execute(_CREDITED, params).mappings().all()
