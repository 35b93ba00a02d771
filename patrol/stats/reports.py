"""Generated daily, weekly and monthly reports (日报/周报/月报) for a street or community, from the records."""

from dataclasses import dataclass, field
from datetime import timedelta
from types import SimpleNamespace

from flask import current_app

from patrol import messages
from patrol.areas.models import Area
from patrol.audit import service as audit
from patrol.auth import roles
from patrol.auth.scope import area_prefix, covers_code, require_role
from patrol.errors import Forbidden, Invalid, NotFound
from patrol.extensions import db
from patrol.localtime import local_midnight, utcnow
from patrol.stats import columns as cols
from patrol.stats import sources
from patrol.stats.periods import period_of


@dataclass
class Table:
    key: str
    title: str
    columns: list
    rows: list
    summary: str = ""


@dataclass
class Report:
    period: object
    area: Area
    generated_at: object
    tables: list[Table] = field(default_factory=list)

    @property
    def title(self):
        return f"{self.area.name}{self.period.name}（{self.period.label}）"

    @property
    def filename(self):
        return f"{self.area.code}-{self.period.kind}-{self.period.start}"


def report_area(user, area_id=None, code=None):
    """The street or community the report covers: the given one (in scope) or the caller's own."""
    if area_id is None and code is None:
        area = user.area
        if area is None:
            raise Invalid("report.area_required", {"area_id": [messages.text("field.required")]})
    else:
        query = (
            db.select(Area).where(Area.id == area_id)
            if area_id is not None
            else db.select(Area).where(Area.code == code)
        )
        area = db.session.execute(query).scalar_one_or_none()
        if area is None:
            raise NotFound("report.no_such_area")
    if area.level not in ("street", "community"):
        raise Invalid("report.street_or_community_only", {"area_id": [messages.text("field.not_street_or_community")]})
    if area_prefix(user) == "" or not covers_code(user, area.code):
        raise Forbidden("report.area_outside_yours", {"area_id": [area.id]})
    return area


def build_report(user, kind, day, area_id=None, code=None):
    """Every table of the report with its one-line summary."""
    require_role(user, *roles.AREA_STAFF)
    area = report_area(user, area_id, code)
    period = period_of(kind, day)
    if period.start > period.end:
        raise Invalid("report.date_in_future", {"date": [messages.text("field.in_future")]})
    report = Report(period, area, utcnow())
    window = {
        "start": local_midnight(period.start),
        "end": local_midnight(period.end + timedelta(days=1)),
        "now": report.generated_at,
        "prefix": area.code,
        "department_id": (user.department_id or -1) if user.role == "department" else None,
        "tz": current_app.config["TIMEZONE"],
    }
    if user.role != "department":
        report.tables.append(_compliance(user, period, area))
    report.tables += _incidents(user, period, area, window)
    if user.role != "department":
        report.tables.append(_visits(user, period, area))
        report.tables.append(_overdue_visits(user, area))
    return report


def _percent(value):
    return "—" if value is None else f"{value * 100:.1f}%"


def _compliance(user, period, area):
    rows = sources.compliance_by_grid(user, period.start, period.end, area.id)
    grid_days = sum(r["grid_days"] for r in rows)
    compliant = sum(r["compliant_days"] for r in rows)
    for row in rows:
        row["rate"] = round(row["compliant_days"] / row["grid_days"], 4) if row["grid_days"] else None
    rate = compliant / grid_days if grid_days else None
    summary = (
        f"{len(rows)} 个网格，应巡 {sum(r['required'] for r in rows)} 次，有效 {sum(r['valid'] for r in rows)} 次；"
        f"双巡达标 {compliant}/{grid_days} 网格日（{_percent(rate)}）"
    )
    return Table("compliance", "巡查达标（按网格）", cols.COMPLIANCE, rows, summary)


def _incidents_by_source(user, period, area):
    """The same indicators split by where the work came from: patrol, upstream work orders, citizens."""
    rows = [
        r
        for r in sources.incident_indicators(user, period.start, period.end, area.id, "source")
        if r["key"] is not None
    ]
    upstream = next((r for r in rows if r["key"] == "upstream"), None)
    summary = (
        f"上级工单 {upstream['reported']} 件，按期结案率 {_percent(upstream['on_time_close_rate'])}"
        if upstream
        else "本期无上级工单"
    )
    return Table("incident_sources", "事件处置（按来源）", cols.INDICATORS, rows, summary)


def _incidents(user, period, area, window):
    indicators = sources.incident_indicators(user, period.start, period.end, area.id)
    total = next((r for r in indicators if r["key"] is None), None) or {}
    by_category = [r for r in indicators if r["key"] is not None]
    summary = (
        f"上报 {total.get('reported', 0)} 件，结案 {total.get('closed', 0)} 件，"
        f"应结案 {total.get('due', 0)} 件中按期 {total.get('closed_on_time', 0)} 件，"
        f"按期结案率 {_percent(total.get('on_time_close_rate'))}"
    )
    status_rows = sources.incidents_by_category_and_status(window)
    counts = {s: sum(r[s] for r in status_rows) for s in cols.STATUS_ZH}
    status_summary = "；".join(f"{cols.STATUS_ZH[s]} {n}" for s, n in counts.items() if n) or "本期无上报事件"
    overdue = sources.overdue_incidents(window)
    return [
        Table("incident_indicators", "事件处置（按类别）", cols.INDICATORS, by_category, summary),
        _incidents_by_source(user, period, area),
        Table(
            "incident_status",
            "事件状态（按类别）",
            cols.BY_STATUS,
            status_rows,
            f"本期上报事件当前状态：{status_summary}",
        ),
        Table(
            "overdue_incidents", "超期未结事件", cols.OVERDUE_INCIDENTS, overdue, f"截至期末超期未结 {len(overdue)} 件"
        ),
    ]


def _visits(user, period, area):
    rows = sources.visits_by_category(user, period.start, period.end, area.id)
    done, due = sum(r["done"] for r in rows), sum(r["due"] for r in rows)
    on_time, overdue = sum(r["on_time"] for r in rows), sum(r["overdue"] for r in rows)
    rate = on_time / (on_time + overdue) if on_time + overdue else None
    summary = f"已走访 {done} 次，应走访 {due} 次，按时 {on_time} 次，逾期 {overdue} 次，按时率 {_percent(rate)}"
    return Table("visits", "特殊人群走访（按类别）", cols.VISITS, rows, summary)


def _overdue_visits(user, area):
    rows = sources.overdue_visits(user, area.id)
    return Table(
        "overdue_visits", "逾期未走访人员（当前）", cols.OVERDUE_VISITS, rows, f"当前逾期未走访 {len(rows)} 人"
    )


def audit_download(user, report, fmt):
    """Record who took the report away as a file."""
    detail = {
        "format": fmt,
        "period": report.period.kind,
        "start": str(report.period.start),
        "end": str(report.period.end),
    }
    audit.record(user, "stats.report", "area", report.area.id, report.area.code, detail)
    db.session.commit()


def operator():
    """The operator at the console: an unbound admin (the CLI runs with the database's full rights)."""
    return SimpleNamespace(
        id=None, username="flask-cli", full_name="命令行", role="admin", area=None, department_id=None
    )


def write_report_file(kind, day, code, out):
    """Generate the report of the street/community `code` into `out` (.xlsx or .html); returns the path."""
    from patrol.stats import render

    if not out.endswith((".xlsx", ".html")):
        raise Invalid("report.out_file_type", {"out": [out]})
    user = operator()
    report = build_report(user, kind, day, code=code)
    response = render.as_xlsx(report) if out.endswith(".xlsx") else render.as_html(report)
    with open(out, "wb") as target:
        for chunk in response.response:
            target.write(chunk if isinstance(chunk, bytes) else chunk.encode())
    audit_download(user, report, out.rsplit(".", 1)[1])
    return out
