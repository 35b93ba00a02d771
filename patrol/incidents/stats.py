"""Incident indicators (按期结案率 and friends), computed in one SQL query from the records.

Each indicator counts at its own moment, which must fall in the period (local days from..to):
reported / handled_on_spot at the report; accepted at the accept action; dispatched and
dispatched_on_time (first dispatch within INCIDENT_DISPATCH_HOURS, default 24, of the report) at the
first dispatch; closed and avg_handling_hours (report -> close) at the close action (merges and
on-the-spot cases are not "closed" here); rework at each send-back; due, closed_on_time (closed by
the due time) and open_overdue (still open, past due now) at the due time. 按期结案率 =
closed_on_time / due; on-time dispatch rate = dispatched_on_time / dispatched. An upstream work
order's due time is the upstream deadline (incident.external_due_at), set when it arrives.
"""

from datetime import timedelta

from flask import current_app
from sqlalchemy import text

from patrol import messages
from patrol.areas.models import Area
from patrol.auth import roles
from patrol.auth.scope import area_prefix, covers_code, require_role
from patrol.errors import Forbidden, Invalid, NotFound
from patrol.extensions import db
from patrol.localtime import local_midnight, utcnow
from patrol.tabular import Column, as_dates, table_response

# Each fact is (incident, metric, moment it counts at, value); a period and a group pick facts by moment.
_FACTS = """
SELECT id, 'reported' AS m, reported_at AS at, NULL::float AS v FROM incident
UNION ALL SELECT id, 'on_spot', reported_at, NULL FROM incident WHERE handled_on_spot
UNION ALL SELECT incident_id, 'accepted', at, NULL FROM incident_event WHERE action = 'accept'
UNION ALL SELECT id, 'dispatched', first_dispatched_at, NULL FROM incident WHERE first_dispatched_at IS NOT NULL
UNION ALL SELECT id, 'dispatched_on_time', first_dispatched_at, NULL FROM incident
    WHERE first_dispatched_at <= reported_at + make_interval(hours => :dispatch_hours)
UNION ALL SELECT e.incident_id, 'closed', e.at, extract(epoch FROM e.at - i.reported_at) / 3600.0
    FROM incident_event e JOIN incident i ON i.id = e.incident_id WHERE e.action = 'close'
UNION ALL SELECT incident_id, 'rework', at, NULL FROM incident_event WHERE action = 'send_back'
UNION ALL SELECT id, 'due', due_at, NULL FROM incident WHERE due_at IS NOT NULL AND merged_into IS NULL
UNION ALL SELECT id, 'closed_on_time', due_at, NULL FROM incident
    WHERE status = 'closed' AND merged_into IS NULL AND due_at IS NOT NULL AND closed_at <= due_at
UNION ALL SELECT id, 'open_overdue', due_at, NULL FROM incident
    WHERE status IN ('dispatched', 'in_progress', 'resolved') AND due_at < :now
"""

_GROUPS = {
    "category": (
        "coalesce(p.code, c.code)",
        "coalesce(p.name, c.name)",
        "JOIN incident_category c ON c.id = i.category_id LEFT JOIN incident_category p ON p.id = c.parent_id",
    ),
    "department": (
        "coalesce(d.id::text, '-')",
        "coalesce(d.name, '未派遣')",
        "LEFT JOIN incident_department d ON d.id = i.department_id",
    ),
    "grid": ("g.code", "g.name", "JOIN area g ON g.id = i.grid_id"),
    "day": ("to_char(f.day, 'YYYY-MM-DD')", "to_char(f.day, 'YYYY-MM-DD')", ""),
    # Where the work came from: the grid's own patrols (and visits, assigned tasks), upstream, or citizens.
    "source": (
        "CASE i.source WHEN 'upstream' THEN 'upstream' WHEN 'resident' THEN 'citizen' ELSE 'patrol' END",
        "CASE i.source WHEN 'upstream' THEN '上级工单' WHEN 'resident' THEN '群众反映' ELSE '巡查发现' END",
        "",
    ),
}

_SQL = """
WITH facts AS ({facts})
SELECT {key} AS key, {label} AS label, GROUPING({key}) AS is_total,
       count(DISTINCT f.id) FILTER (WHERE f.m = 'reported') AS reported,
       count(DISTINCT f.id) FILTER (WHERE f.m = 'on_spot') AS handled_on_spot,
       count(DISTINCT f.id) FILTER (WHERE f.m = 'accepted') AS accepted,
       count(DISTINCT f.id) FILTER (WHERE f.m = 'dispatched') AS dispatched,
       count(DISTINCT f.id) FILTER (WHERE f.m = 'dispatched_on_time') AS dispatched_on_time,
       count(DISTINCT f.id) FILTER (WHERE f.m = 'closed') AS closed,
       count(DISTINCT f.id) FILTER (WHERE f.m = 'due') AS due,
       count(DISTINCT f.id) FILTER (WHERE f.m = 'closed_on_time') AS closed_on_time,
       count(*) FILTER (WHERE f.m = 'rework') AS rework,
       count(DISTINCT f.id) FILTER (WHERE f.m = 'open_overdue') AS open_overdue,
       avg(f.v) FILTER (WHERE f.m = 'closed') AS avg_handling_hours
FROM (SELECT facts.*, (facts.at AT TIME ZONE :tz)::date AS day FROM facts) f
JOIN incident i ON i.id = f.id
{joins}
WHERE f.at >= :start AND f.at < :end
  AND i.grid_code LIKE :prefix || '%'
  AND (CAST(:department_id AS int) IS NULL OR i.department_id = CAST(:department_id AS int))
GROUP BY GROUPING SETS (({key}, {label}), ())
ORDER BY GROUPING({key}), 1
"""

GROUP_NAMES = {"category": "类别", "department": "部门", "grid": "网格", "day": "日", "source": "来源"}

COLUMNS = [
    Column("key", "编码", "key", "text", 18),
    Column("label", "名称", "name", "text", 22),
    Column("reported", "上报数", "reported", "int", 10),
    Column("handled_on_spot", "就地解决数", "handled on the spot", "int", 10),
    Column("accepted", "立案数", "accepted", "int", 10),
    Column("dispatched", "派遣数", "dispatched", "int", 10),
    Column("dispatched_on_time", "按时派遣数", "dispatched on time", "int", 10),
    Column("on_time_dispatch_rate", "按时派遣率", "on-time dispatch rate", "percent", 10),
    Column("closed", "结案数", "closed", "int", 10),
    Column("due", "应结案数", "due", "int", 10),
    Column("closed_on_time", "按期结案数", "closed on time", "int", 10),
    Column("on_time_close_rate", "按期结案率", "on-time closing rate", "percent", 10),
    Column("rework", "返工次数", "rework", "int", 10),
    Column("avg_handling_hours", "平均处置时长(小时)", "average handling hours", "float", 12),
    Column("open_overdue", "超期未结数", "open overdue", "int", 10),
]


def _rate(part, whole):
    return round(part / whole, 4) if whole else None


def _scope(user, area_id):
    require_role(user, *roles.AREA_STAFF)
    prefix = area_prefix(user)
    if prefix == "":
        raise Forbidden("incident.account_without_area")
    if area_id is None:
        return prefix or ""
    area = db.session.get(Area, area_id)
    if area is None:
        raise NotFound("incident.no_such_area")
    if not covers_code(user, area.code):
        raise Forbidden("incident.area_outside_yours", {"area_id": [area_id]})
    return area.code


def indicators(user, date_from, date_to, area_id=None, group_by="category"):
    """Indicator rows per group plus a total row (key None) for the local days from..to inclusive."""
    if date_to < date_from:
        raise Invalid("incident.to_before_from", {"to": [messages.text("field.before_from")]})
    if (date_to - date_from).days > 366:
        raise Invalid("incident.range_over_a_year", {"to": [messages.text("field.range_too_long")]})
    prefix = _scope(user, area_id)
    key, label, joins = _GROUPS[group_by]
    sql = text(_SQL.format(facts=_FACTS, key=key, label=label, joins=joins))
    params = {
        "start": local_midnight(date_from),
        "end": local_midnight(date_to + timedelta(days=1)),
        "prefix": prefix,
        "department_id": user.department_id if user.role == "department" else None,
        "dispatch_hours": current_app.config.get("INCIDENT_DISPATCH_HOURS", 24),
        "now": utcnow(),
        "tz": current_app.config["TIMEZONE"],
    }
    rows = []
    for row in db.session.execute(sql, params).mappings():
        item = {k: row[k] for k in row if k != "is_total"}
        if row["is_total"]:
            item["key"], item["label"] = None, "合计"
        item["avg_handling_hours"] = None if row["avg_handling_hours"] is None else round(row["avg_handling_hours"], 2)
        item["on_time_dispatch_rate"] = _rate(row["dispatched_on_time"], row["dispatched"])
        item["on_time_close_rate"] = _rate(row["closed_on_time"], row["due"])
        rows.append(item)
    return rows


def indicators_response(user, date_from, date_to, area_id=None, group_by="category", format="json"):
    """JSON rows, or the same table as CSV / XLSX through patrol.tabular."""
    rows = indicators(user, date_from, date_to, area_id, group_by)
    name = f"incident-indicators-{group_by}-{date_from}-{date_to}"
    title = f"事件处置指标 {date_from} 至 {date_to}（按{GROUP_NAMES[group_by]}）"
    columns = as_dates(COLUMNS, "key", "label") if group_by == "day" else COLUMNS
    return table_response(format, rows, columns, name, sheet_name="事件指标", title=title)
