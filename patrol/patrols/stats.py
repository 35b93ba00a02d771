"""Compliance of 一日双巡: per grid-day both shifts need a valid patrol; misses carry their reasons."""

from datetime import timedelta

from sqlalchemy import text

from patrol import messages
from patrol.areas.models import Area
from patrol.auth.scope import area_prefix, covers_code, require_track_reader
from patrol.errors import Invalid, NotFound
from patrol.extensions import db
from patrol.tabular import Column, as_dates, table_response

MAX_DAYS = 366
# Chinese labels from the catalogue (the ``*_zh`` fields and report text stay Chinese).
REASONS = ("no_patrol", "outside_window", "not_finished", "no_track", "too_short", "mostly_outside", "low_coverage")
REASON_ZH = messages.labels("patrol_reason", "zh-CN", REASONS)
SHIFT_ZH = messages.labels("shift", "zh-CN", ("am", "pm"))

# Per group: its key and name, and how many grid-days it must cover.
_REQUIRED = {
    "grid": "SELECT code AS key, name, CAST(:ndays AS int) AS grid_days FROM grids",
    "community": """SELECT substr(g.code, 1, 12) AS key, min(c.name) AS name,
                           count(*) * CAST(:ndays AS int) AS grid_days
                    FROM grids g LEFT JOIN area c ON c.code = substr(g.code, 1, 12) GROUP BY 1""",
    "day": """SELECT to_char(d, 'YYYY-MM-DD') AS key, to_char(d, 'YYYY-MM-DD') AS name,
                     (SELECT count(*) FROM grids) AS grid_days
              FROM generate_series(CAST(:d0 AS date), CAST(:d1 AS date), interval '1 day') d""",
    "worker": """SELECT u.username AS key, min(u.full_name) AS name,
                        sum(least(coalesce(ga.end_date, :d1), :d1) - greatest(ga.start_date, :d0) + 1) AS grid_days
                 FROM grid_assignment ga JOIN grids g ON g.id = ga.grid_id JOIN app_user u ON u.id = ga.user_id
                 WHERE ga.start_date <= :d1 AND (ga.end_date IS NULL OR ga.end_date >= :d0) GROUP BY 1""",
}
_GROUP_KEY = {
    "grid": ("g.code", ""),
    "community": ("substr(g.code, 1, 12)", ""),
    "day": ("to_char(s.day, 'YYYY-MM-DD')", ""),
    "worker": (
        "u.username",
        "JOIN grid_assignment ga ON ga.grid_id = s.grid_id AND ga.start_date <= s.day"
        " AND (ga.end_date IS NULL OR ga.end_date >= s.day) JOIN app_user u ON u.id = ga.user_id",
    ),
}


def _sql(group_by):
    """Aggregate the stored verdicts of each shift (grid, day, am|pm) into the groups.

    Patrols go to grid-days in one hash aggregate (per-shift figures by FILTER), grid-days to the
    groups in another; reasons are looked up only for shifts without a valid patrol (a few percent).
    """
    key, join = _GROUP_KEY[group_by]
    return text(f"""
WITH grids AS (
    SELECT g.id, g.code, g.name FROM area g
    WHERE g.level = 'grid' AND g.code LIKE :prefix || '%'
      AND (CAST(:uid AS int) IS NULL OR g.id IN (SELECT grid_id FROM grid_assignment WHERE user_id = :uid))
), grid_days AS MATERIALIZED (
    SELECT pa.grid_id, pa.local_date AS day,
           bool_or(pa.shift = 'am') AS am_done, bool_or(pa.shift = 'pm') AS pm_done,
           coalesce(bool_or(pa.valid) FILTER (WHERE pa.shift = 'am'), false) AS am_valid,
           coalesce(bool_or(pa.valid) FILTER (WHERE pa.shift = 'pm'), false) AS pm_valid,
           sum(pa.distance_m) AS distance_m, sum(pa.duration_s) AS duration_s,
           max(pa.coverage) FILTER (WHERE pa.shift = 'am') AS am_coverage,
           max(pa.coverage) FILTER (WHERE pa.shift = 'pm') AS pm_coverage
    FROM patrol pa
    WHERE pa.local_date BETWEEN :d0 AND :d1 AND pa.grid_id IN (SELECT id FROM grids)
    GROUP BY pa.grid_id, pa.local_date
), done AS (
    SELECT {key} AS key,
           count(*) FILTER (WHERE s.am_done) AS am_done, count(*) FILTER (WHERE s.pm_done) AS pm_done,
           count(*) FILTER (WHERE s.am_valid) + count(*) FILTER (WHERE s.pm_valid) AS valid,
           count(*) FILTER (WHERE s.am_valid AND s.pm_valid) AS compliant_days,
           sum(s.distance_m) AS distance_m, sum(s.duration_s) AS duration_s,
           sum(coalesce(s.am_coverage, 0) + coalesce(s.pm_coverage, 0))
             / nullif(count(s.am_coverage) + count(s.pm_coverage), 0) AS coverage
    FROM grid_days s JOIN grids g ON g.id = s.grid_id {join} GROUP BY 1
), missed AS (
    -- per shift without a valid patrol, the patrol closest to counting: fewest reasons, then longest
    SELECT DISTINCT ON (pa.grid_id, pa.local_date, pa.shift)
           pa.grid_id, pa.local_date AS day, pa.shift,
           coalesce(array_to_string(pa.invalid_reasons, ','), 'not_finished') AS reasons
    FROM patrol pa JOIN grid_days s ON s.grid_id = pa.grid_id AND s.day = pa.local_date
    WHERE pa.local_date BETWEEN :d0 AND :d1 AND pa.valid IS NOT TRUE
      AND NOT CASE pa.shift WHEN 'am' THEN s.am_valid ELSE s.pm_valid END
    ORDER BY pa.grid_id, pa.local_date, pa.shift, cardinality(pa.invalid_reasons), pa.duration_s DESC NULLS LAST
), reasons AS (
    SELECT key, jsonb_object_agg(reason, n) AS reasons FROM (
        SELECT {key} AS key, s.shift || ':' || r AS reason, count(*) AS n
        FROM missed s JOIN grids g ON g.id = s.grid_id {join}, unnest(string_to_array(s.reasons, ',')) r
        WHERE r <> '' GROUP BY 1, 2
    ) x GROUP BY key
)
SELECT q.key, q.name, 2 * q.grid_days AS required,
       coalesce(d.am_done + d.pm_done, 0) AS done, coalesce(d.valid, 0) AS valid,
       q.grid_days, coalesce(d.compliant_days, 0) AS compliant_days,
       coalesce(d.am_done, 0) AS am_done, coalesce(d.pm_done, 0) AS pm_done,
       round(CAST(coalesce(d.distance_m, 0) / 1000.0 AS numeric), 2) AS distance_km,
       round(CAST(coalesce(d.duration_s, 0) / 3600.0 AS numeric), 2) AS duration_h,
       round(CAST(d.coverage AS numeric), 4) AS coverage,
       coalesce(r.reasons::text, '{{}}') AS reasons
FROM ({_REQUIRED[group_by]}) q
LEFT JOIN done d ON d.key = q.key
LEFT JOIN reasons r ON r.key = q.key
ORDER BY q.key
""")


COLUMNS = [
    Column("key", "编码", "key", "text", 18),
    Column("name", "名称", "name", "text", 20),
    Column("required", "应巡次数", "required", "int"),
    Column("done", "已巡次数", "done", "int"),
    Column("valid", "有效次数", "valid", "int"),
    Column("grid_days", "网格日数", "grid-days", "int"),
    Column("compliant_days", "双巡达标日数", "compliant grid-days", "int"),
    Column("distance_km", "里程(公里)", "distance km", "float"),
    Column("duration_h", "时长(小时)", "duration h", "float"),
    Column("coverage", "平均覆盖率", "mean coverage", "percent"),
    Column("reasons_text", "未达标原因", "reasons for misses", "text", 40),
]


def _scope_prefix(user, area_id):
    if area_id is None:
        return area_prefix(user) or ""
    area = db.session.get(Area, area_id)
    if area is None or (user.role != "worker" and not covers_code(user, area.code)):
        raise NotFound("patrol.no_such_area")
    return area.code


def compliance_rows(user, date_from, date_to, area_id=None, group_by="grid"):
    """One row per group: required, done and valid shifts, compliant grid-days, figures and miss reasons."""
    import json

    require_track_reader(user)
    if date_to < date_from or (date_to - date_from) > timedelta(days=MAX_DAYS):
        raise Invalid("patrol.invalid_date_range", {"to": [f"from <= to, at most {MAX_DAYS} days"]})
    if user.role != "worker" and area_prefix(user) == "":
        return []  # an area-bound account without an area sees nothing
    prefix = _scope_prefix(user, area_id) if user.role != "worker" or area_id else ""
    params = {
        "prefix": prefix,
        "uid": user.id if user.role == "worker" else None,
        "d0": date_from,
        "d1": date_to,
        "ndays": (date_to - date_from).days + 1,
    }
    rows = []
    db.session.execute(text("SET LOCAL jit = off"))  # compiling costs more than this query takes
    db.session.execute(text("SET LOCAL work_mem = '32MB'"))  # a month of a district aggregates in memory
    for row in db.session.execute(_sql(group_by), params).mappings():
        item = dict(row)
        item["distance_km"] = float(item["distance_km"])
        item["duration_h"] = float(item["duration_h"])
        item["coverage"] = None if item["coverage"] is None else float(item["coverage"])
        reasons = json.loads(item["reasons"])
        for shift in ("am", "pm"):
            missing = item["grid_days"] - item.pop(f"{shift}_done")
            if missing > 0:
                reasons[f"{shift}:no_patrol"] = missing
        item["reasons"] = dict(sorted(reasons.items()))
        rows.append(item)
    return rows


def reasons_text(reasons):
    """'上午未巡查×3；下午时长不足×1' from {'am:no_patrol': 3, 'pm:too_short': 1}."""
    parts = []
    for code, count in sorted(reasons.items()):
        shift, _, reason = code.partition(":")
        parts.append(f"{SHIFT_ZH.get(shift, shift)}{REASON_ZH.get(reason, reason)}×{count}")
    return "；".join(parts)


def patrol_stats(user, from_, to, area_id=None, group_by="grid", format="json"):
    """The compliance table as JSON rows, CSV or XLSX (the same rows)."""
    rows = compliance_rows(user, from_, to, area_id, group_by)
    if format == "json":
        return rows
    for row in rows:
        row["reasons_text"] = reasons_text(row["reasons"])
    name = f"patrols-{group_by}-{from_}-{to}"
    columns = as_dates(COLUMNS, "key", "name") if group_by == "day" else COLUMNS
    return table_response(format, rows, columns, name, sheet_name="巡查统计", title=f"一日双巡统计 {from_} 至 {to}")
