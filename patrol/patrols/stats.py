"""Compliance of 一日双巡: per grid-day both shifts need a valid patrol; misses carry their reasons."""

from datetime import timedelta

from sqlalchemy import text

from patrol.areas.models import Area
from patrol.auth.scope import area_prefix, covers_code
from patrol.errors import Invalid, NotFound
from patrol.extensions import db
from patrol.localtime import tz
from patrol.patrols.queries import REASONS_SQL, grid_rules_sql, rule_defaults
from patrol.tabular import Column, table_response

MAX_DAYS = 366
REASON_ZH = {
    "no_patrol": "未巡查",
    "outside_window": "不在班次时段",
    "not_finished": "未结束",
    "no_track": "无有效轨迹",
    "too_short": "时长不足",
    "mostly_outside": "多在网格外",
    "low_coverage": "覆盖不足",
}
SHIFT_ZH = {"am": "上午", "pm": "下午"}

_GROUP_KEY = {
    "grid": ("sl.code", "g.name"),
    "community": ("substr(sl.code, 1, 12)", "c.name"),
    "day": ("to_char(sl.day, 'YYYY-MM-DD')", "to_char(sl.day, 'YYYY-MM-DD')"),
    "worker": ("u.username", "u.full_name"),
}


def _sql(group_by):
    key, label = _GROUP_KEY[group_by]
    worker_join = (
        "JOIN grid_assignment ga ON ga.grid_id = sl.grid_id AND ga.start_date <= sl.day"
        " AND (ga.end_date IS NULL OR ga.end_date >= sl.day) JOIN app_user u ON u.id = ga.user_id"
        if group_by == "worker"
        else ""
    )
    return text(f"""
WITH r AS ({
        grid_rules_sql(
            "g.code LIKE :prefix || '%' AND (CAST(:uid AS int) IS NULL OR g.id IN ("
            "SELECT grid_id FROM grid_assignment WHERE user_id = :uid))"
        )
    }),
days AS (SELECT CAST(d AS date) AS day FROM generate_series(CAST(:d0 AS date), CAST(:d1 AS date), interval '1 day') d),
judged AS (
    SELECT pa.grid_id, pa.local_date, pa.shift, pa.distance_m, pa.duration_s, pa.coverage, {REASONS_SQL} AS reasons
    FROM patrol pa JOIN r ON r.grid_id = pa.grid_id AND pa.district_code = substr(r.code, 1, 6)
    WHERE pa.local_date BETWEEN :d0 AND :d1
), slot_sums AS (
    SELECT grid_id, local_date, shift, sum(distance_m) AS distance_m, sum(duration_s) AS duration_s
    FROM judged GROUP BY 1, 2, 3
), best AS (
    SELECT DISTINCT ON (grid_id, local_date, shift) grid_id, local_date, shift, reasons, coverage,
           cardinality(reasons) = 0 AS valid
    FROM judged ORDER BY grid_id, local_date, shift, cardinality(reasons), duration_s DESC NULLS LAST
), slots AS (
    SELECT r.grid_id, r.code, days.day, s.shift,
           b.grid_id IS NOT NULL AS done, coalesce(b.valid, false) AS valid, b.coverage,
           ss.distance_m, ss.duration_s,
           CASE WHEN b.grid_id IS NULL THEN ARRAY[s.shift || ':' || 'no_patrol']
                ELSE ARRAY(SELECT s.shift || ':' || x FROM unnest(b.reasons) x) END AS reasons
    FROM r CROSS JOIN days CROSS JOIN (VALUES ('am'), ('pm')) AS s(shift)
    LEFT JOIN best b ON b.grid_id = r.grid_id AND b.local_date = days.day AND b.shift = s.shift
    LEFT JOIN slot_sums ss ON ss.grid_id = r.grid_id AND ss.local_date = days.day AND ss.shift = s.shift
), keyed AS (
    SELECT {key} AS gkey, {label} AS label, sl.*,
           bool_and(sl.valid) OVER (PARTITION BY sl.grid_id, sl.day) AS day_ok
    FROM slots sl
    JOIN area g ON g.id = sl.grid_id
    LEFT JOIN area c ON c.code = substr(sl.code, 1, 12)
    {worker_join}
), reason_counts AS (
    SELECT gkey, jsonb_object_agg(reason, n) AS reasons
    FROM (SELECT gkey, reason, count(*) AS n FROM keyed, unnest(reasons) AS reason GROUP BY 1, 2) x GROUP BY gkey
)
SELECT k.gkey AS key, min(k.label) AS name, count(*) AS required, count(*) FILTER (WHERE done) AS done,
       count(*) FILTER (WHERE valid) AS valid, count(*) FILTER (WHERE day_ok AND shift = 'am') AS compliant_days,
       count(*) FILTER (WHERE shift = 'am') AS grid_days,
       round(CAST(coalesce(sum(distance_m), 0) / 1000.0 AS numeric), 2) AS distance_km,
       round(CAST(coalesce(sum(duration_s), 0) / 3600.0 AS numeric), 2) AS duration_h,
       round(CAST(avg(coverage) AS numeric), 4) AS coverage,
       coalesce(min(rc.reasons::text), '{{}}') AS reasons
FROM keyed k LEFT JOIN reason_counts rc ON rc.gkey = k.gkey
GROUP BY k.gkey ORDER BY k.gkey
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
        raise NotFound("区域不存在 / no such area")
    return area.code


def compliance_rows(user, date_from, date_to, area_id=None, group_by="grid"):
    """One row per group: required, done and valid shifts, compliant grid-days, figures and miss reasons."""
    import json

    if date_to < date_from or (date_to - date_from) > timedelta(days=MAX_DAYS):
        raise Invalid("日期范围无效 / invalid date range", {"to": [f"from <= to, at most {MAX_DAYS} days"]})
    if user.role != "worker" and area_prefix(user) == "":
        return []  # an area-bound account without an area sees nothing
    prefix = _scope_prefix(user, area_id) if user.role != "worker" or area_id else ""
    params = {
        "prefix": prefix,
        "uid": user.id if user.role == "worker" else None,
        "d0": date_from,
        "d1": date_to,
        "tz": str(tz()),
        **rule_defaults(),
    }
    rows = []
    for row in db.session.execute(_sql(group_by), params).mappings():
        item = dict(row)
        item["distance_km"] = float(item["distance_km"])
        item["duration_h"] = float(item["duration_h"])
        item["coverage"] = None if item["coverage"] is None else float(item["coverage"])
        item["reasons"] = json.loads(item["reasons"])
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
    return table_response(format, rows, COLUMNS, name, sheet_name="巡查统计", title=f"一日双巡统计 {from_} 至 {to}")
