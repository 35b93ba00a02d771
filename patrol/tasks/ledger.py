"""The burden ledger (减负台账): what was pushed to whom, by which department, against the weekly budget."""

from sqlalchemy import text

from patrol import messages
from patrol.auth import roles
from patrol.auth.scope import require_grid, require_role, visible_grid_ids
from patrol.errors import Invalid
from patrol.extensions import db
from patrol.tabular import Column
from patrol.tasks.queries import ITEM_DONE
from patrol.tasks.settings import timezone_name

# Upstream work orders (Open311, patrol/open311) are pushed work too: one unit for each worker holding the
# grid on the day the order arrived, at the client's minutes per order, under the client's name.
UPSTREAM_ORDERS = """
SELECT ga.user_id, i.grid_id, i.id, 1, c.minutes_per_order, CAST(NULL AS int), c.name,
       CAST(date_trunc(:period, o.day) AS date), i.status IN ('resolved', 'closed')
    FROM (SELECT r.*, CAST((r.received_at AT TIME ZONE :tz) AS date) AS day FROM open311_request r) o
    JOIN incident i ON i.id = o.incident_id
    JOIN open311_client c ON c.id = o.client_id
    JOIN grid_assignment ga ON ga.grid_id = i.grid_id AND ga.start_date <= o.day
         AND (ga.end_date IS NULL OR ga.end_date >= o.day)
    WHERE o.day BETWEEN :from_day AND :to_day
      AND i.grid_id = ANY(:grid_ids)
      AND (CAST(:worker_id AS int) IS NULL OR ga.user_id = :worker_id)
      AND CAST(:department_id AS int) IS NULL
"""

_ITEMS = f"""
WITH items AS (
    SELECT ti.worker_id, ti.grid_id, ti.task_id, ti.units, t.minutes_per_item, t.department_id,
           CAST(NULL AS text) AS source,
           CAST(date_trunc(:period, t.pushed_on) AS date) AS period_start,
           {ITEM_DONE} AS done
    FROM task_item ti JOIN task t ON t.id = ti.task_id
    WHERE t.status = 'active' AND t.pushed_on BETWEEN :from_day AND :to_day
      AND ti.grid_id = ANY(:grid_ids)
      AND (CAST(:worker_id AS int) IS NULL OR ti.worker_id = :worker_id)
      AND (CAST(:department_id AS int) IS NULL OR t.department_id = :department_id)
    UNION ALL
    {UPSTREAM_ORDERS}
)
"""
# Department names live with incidents; read by id, falling back to the street itself.
_LEDGER = text(
    _ITEMS
    + """
SELECT i.period_start, i.worker_id, u.full_name AS worker_name, a.code AS grid_code, a.name AS grid_name,
       i.department_id, coalesce(i.source, d.name, CASE WHEN i.department_id IS NULL THEN '街道' END,
                                 '部门 ' || i.department_id) AS department,
       count(DISTINCT i.task_id) AS tasks, sum(i.units)::int AS items_required,
       coalesce(sum(i.units) FILTER (WHERE i.done), 0)::int AS items_done,
       sum(i.units * i.minutes_per_item)::int AS estimated_minutes,
       round(sum(i.units * i.minutes_per_item) / 60.0, 2) AS estimated_hours
FROM items i
JOIN app_user u ON u.id = i.worker_id
JOIN area a ON a.id = i.grid_id
LEFT JOIN incident_department d ON d.id = i.department_id
GROUP BY i.period_start, i.worker_id, u.full_name, a.code, a.name, i.department_id, i.source, d.name
ORDER BY i.period_start, a.code, i.worker_id, department
"""
)

_WORKER_WEEKS = text(
    _ITEMS
    + """
SELECT i.period_start, i.worker_id, u.full_name AS worker_name,
       sum(i.units * i.minutes_per_item)::int AS estimated_minutes, b.weekly_minutes AS budget_minutes,
       b.weekly_minutes IS NOT NULL AND sum(i.units * i.minutes_per_item) > b.weekly_minutes AS over_budget
FROM items i JOIN app_user u ON u.id = i.worker_id
LEFT JOIN task_worker_budget b ON b.worker_id = i.worker_id
GROUP BY i.period_start, i.worker_id, u.full_name, b.weekly_minutes
ORDER BY i.period_start, i.worker_id
"""
)

_DEPARTMENTS = text(
    _ITEMS
    + """
SELECT i.department_id, coalesce(i.source, d.name, CASE WHEN i.department_id IS NULL THEN '街道' END,
                                 '部门 ' || i.department_id) AS department,
       count(DISTINCT i.task_id) AS tasks, sum(i.units)::int AS items_required,
       sum(i.units * i.minutes_per_item)::int AS estimated_minutes
FROM items i LEFT JOIN incident_department d ON d.id = i.department_id
GROUP BY i.department_id, i.source, d.name
ORDER BY estimated_minutes DESC, department
"""
)

COLUMNS = [
    Column("period_start", "周期起始", "period start", "date", 12),
    Column("worker_name", "网格员", "worker", "text", 12),
    Column("grid_code", "网格编码", "grid code", "text", 17),
    Column("grid_name", "网格", "grid", "text", 20),
    Column("department", "派发部门", "source department", "text", 16),
    Column("tasks", "任务数", "tasks", "int", 8),
    Column("items_required", "应办事项", "items required", "int", 10),
    Column("items_done", "已办事项", "items done", "int", 10),
    Column("estimated_minutes", "预计用时（分钟）", "estimated minutes", "int", 12),
    Column("estimated_hours", "预计用时（小时）", "estimated hours", "float", 12),
]


def _params(user, period, from_day, to_day, grid_id, worker_id):
    require_role(user, *roles.EVERYONE)
    if period not in ("week", "month"):
        raise Invalid("task.period_invalid", {"period": [messages.text("field.week_or_month")]})
    if to_day < from_day or (to_day - from_day).days > 400:
        raise Invalid("task.range_over_a_year", {"to": [messages.text("field.invalid_range")]})
    if grid_id is not None:
        require_grid(user, grid_id)
        grid_ids = [grid_id]
    else:
        grid_ids = list(db.session.execute(visible_grid_ids(user)).scalars())
    return {
        "tz": timezone_name(),
        "period": period,
        "from_day": from_day,
        "to_day": to_day,
        "grid_ids": grid_ids,
        "worker_id": user.id if user.role == "worker" else worker_id,
        "department_id": user.department_id if user.role == "department" else None,
    }


def ledger_rows(user, period="month", from_day=None, to_day=None, grid_id=None, worker_id=None):
    """Per period, worker, grid and source department: tasks, items required and done, estimated time."""
    params = _params(user, period, from_day, to_day, grid_id, worker_id)
    return [dict(row) for row in db.session.execute(_LEDGER, params).mappings()]


def ledger_summary(user, from_day, to_day, grid_id=None):
    """Worker-weeks over budget and the departments pushing the most (no ranking of workers)."""
    params = _params(user, "week", from_day, to_day, grid_id, None)
    weeks = [dict(row) for row in db.session.execute(_WORKER_WEEKS, params).mappings()]
    return {
        "over_budget": [row for row in weeks if row["over_budget"]],
        "departments": [dict(row) for row in db.session.execute(_DEPARTMENTS, params).mappings()],
    }
