"""SQL for next-due dates, the due list and visit statistics.

A person's interval is the shortest over their categories at their attention level (default 30 days).
Each visit (and the registration) opens a "due event" at base date + interval; the event is met on
time when the next visit falls on or before that date, overdue when it came later or is still missing.
"""

from sqlalchemy import text

from patrol.extensions import db
from patrol.people.categories import DEFAULT_INTERVALS

DEFAULT_INTERVAL_DAYS = 30

_INTERVALS = """
defaults AS (
    SELECT * FROM unnest(CAST(:default_categories AS text[]), CAST(:default_levels AS int[]),
                         CAST(:default_interval_days AS int[])) AS t(category, attention_level, days)
),
intervals AS (
    SELECT pc.person_id, min(coalesce(vi.days, d.days, :default_days)) AS interval_days
    FROM person_category pc
    JOIN person p ON p.id = pc.person_id
    LEFT JOIN visit_interval vi ON vi.category = pc.category AND vi.attention_level = p.attention_level
    LEFT JOIN defaults d ON d.category = pc.category AND d.attention_level = p.attention_level
    WHERE {scope}
    GROUP BY pc.person_id
)"""


def default_interval_params():
    """The code's default intervals as three parallel arrays for the `defaults` CTE."""
    rows = [(c, level, days) for c, by_level in DEFAULT_INTERVALS.items() for level, days in enumerate(by_level, 1)]
    return {
        "default_days": DEFAULT_INTERVAL_DAYS,
        "default_categories": [r[0] for r in rows],
        "default_levels": [r[1] for r in rows],
        "default_interval_days": [r[2] for r in rows],
    }


def scope_sql(scope):
    """(SQL condition on person p, params) for a scope: ('grids', [ids]) | ('prefix', code) | ('all', None)."""
    kind, value = scope
    if kind == "grids":
        return "p.grid_id = ANY(CAST(:scope_grids AS int[]))", {"scope_grids": list(value)}
    if kind == "prefix":
        return "p.area_code LIKE :scope_prefix || '%'", {"scope_prefix": value}
    return "TRUE", {}


_DUE = """
WITH {intervals},
last_visit AS (
    SELECT v.person_id, max(v.visit_date) AS last_visit_date
    FROM visit v JOIN person p ON p.id = v.person_id
    WHERE {scope}
    GROUP BY v.person_id
)
SELECT p.id, lv.last_visit_date, coalesce(i.interval_days, :default_days) AS interval_days,
       coalesce(lv.last_visit_date, p.registered_on) + coalesce(i.interval_days, :default_days) AS due_date,
       {distance} AS distance_m
FROM person p
LEFT JOIN intervals i ON i.person_id = p.id
LEFT JOIN last_visit lv ON lv.person_id = p.id
WHERE {scope} {where}
"""


def due_rows(scope, where="", params=None, order="", limit=None, origin=None, outer_where=None, outer_params=None):
    """Rows (id, last_visit_date, interval_days, due_date, distance_m) for people in scope."""
    condition, scope_params = scope_sql(scope)
    distance = "NULL::float"
    if origin is not None:
        distance = (
            "ST_Distance(p.location::geography, ST_SetSRID(ST_MakePoint(:origin_lon, :origin_lat), 4326)::geography)"
        )
    sql = _DUE.format(intervals=_INTERVALS.format(scope=condition), scope=condition, where=where, distance=distance)
    if outer_where:
        sql = f"SELECT * FROM ({sql}) AS due WHERE {outer_where}"
        params = {**(params or {}), **(outer_params or {})}
        order = order.replace("p.id", "id")
    sql += order
    if limit is not None:
        sql += " LIMIT :limit"
    bound = {**default_interval_params(), **scope_params, **(params or {}), "limit": limit}
    if origin is not None:
        bound.update(origin_lon=origin[0], origin_lat=origin[1])
    return db.session.execute(text(sql), bound).all()


def due_by_person(person_ids):
    """{person id: row} with last visit, interval and due date."""
    if not person_ids:
        return {}
    rows = due_rows(("all", None), "AND p.id = ANY(CAST(:ids AS int[]))", {"ids": list(person_ids)})
    return {row.id: row for row in rows}


GROUPS = {
    "category": "SELECT pc.person_id, pc.category AS key FROM person_category pc JOIN scoped s ON s.id = pc.person_id",
    "grid": "SELECT s.id AS person_id, s.grid_id::text AS key FROM scoped s",
    "worker": "SELECT pw.person_id, pw.user_id::text AS key FROM person_worker pw JOIN scoped s ON s.id = pw.person_id",
}

_STATS = """
WITH scoped AS (
    SELECT p.id, p.grid_id, p.registered_on FROM person p
    WHERE p.active AND {scope} AND p.area_code LIKE :area_prefix || '%'
),
{intervals},
days AS (SELECT DISTINCT v.person_id, v.visit_date FROM visit v JOIN scoped s ON s.id = v.person_id),
events AS (
    SELECT d.person_id, d.visit_date AS base,
           lead(d.visit_date) OVER (PARTITION BY d.person_id ORDER BY d.visit_date) AS next_visit
    FROM days d
    UNION ALL
    SELECT s.id, s.registered_on,
           (SELECT min(d.visit_date) FROM days d WHERE d.person_id = s.id AND d.visit_date >= s.registered_on)
    FROM scoped s
),
due AS (
    SELECT e.person_id, e.base + coalesce(i.interval_days, :default_days) AS due_date, e.next_visit
    FROM events e LEFT JOIN intervals i ON i.person_id = e.person_id
),
groups AS ({group_sql}),
done AS (
    SELECT g.key, count(*) AS done
    FROM visit v JOIN groups g ON g.person_id = v.person_id
    WHERE v.visit_date BETWEEN :from_day AND :to_day
    GROUP BY g.key
),
owed AS (
    SELECT g.key,
           count(*) AS due,
           count(*) FILTER (WHERE d.next_visit <= d.due_date) AS on_time,
           count(*) FILTER (WHERE d.next_visit > d.due_date OR (d.next_visit IS NULL AND d.due_date < :today))
               AS overdue
    FROM due d JOIN groups g ON g.person_id = d.person_id
    WHERE d.due_date BETWEEN :from_day AND :to_day
    GROUP BY g.key
),
people AS (SELECT key, count(DISTINCT person_id) AS persons FROM groups GROUP BY key)
SELECT pe.key, pe.persons, coalesce(dn.done, 0) AS done, coalesce(o.due, 0) AS due,
       coalesce(o.on_time, 0) AS on_time, coalesce(o.overdue, 0) AS overdue
FROM people pe
LEFT JOIN done dn ON dn.key = pe.key
LEFT JOIN owed o ON o.key = pe.key
ORDER BY pe.key
"""


def visit_stats(scope, area_prefix, group_by, from_day, to_day, today):
    """Per group: persons, visits done, due events, met on time, overdue — from the records."""
    condition, scope_params = scope_sql(scope)
    sql = _STATS.format(
        scope=condition,
        intervals=_INTERVALS.format(scope=condition),
        group_sql=GROUPS[group_by],
    )
    return db.session.execute(
        text(sql),
        {
            **scope_params,
            **default_interval_params(),
            "area_prefix": area_prefix,
            "from_day": from_day,
            "to_day": to_day,
            "today": today,
        },
    ).all()
