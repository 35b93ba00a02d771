"""A report as JSON, as a one-sheet-per-table XLSX workbook, or as a printable HTML page."""

from datetime import date, datetime

from flask import Response, render_template

from patrol.localtime import to_local
from patrol.tabular import xlsx_response


def as_json(report):
    """The report's tables with their columns, rows and summaries."""
    return {
        "title": report.title,
        "period": report.period.kind,
        "start": report.period.start.isoformat(),
        "end": report.period.end.isoformat(),
        "area": {"id": report.area.id, "code": report.area.code, "name": report.area.name},
        "generated_at": report.generated_at.isoformat(),
        "tables": [
            {
                "key": t.key,
                "title": t.title,
                "summary": t.summary,
                "columns": [
                    {"key": c.key, "header": c.header_zh, "header_en": c.header_en, "kind": c.kind} for c in t.columns
                ],
                "rows": [{c.key: _json_value(row.get(c.key)) for c in t.columns} for row in t.rows],
            }
            for t in report.tables
        ],
    }


def _json_value(value):
    return value.isoformat() if isinstance(value, (date, datetime)) else value


def as_xlsx(report):
    """One sheet per table; the first line of each sheet is the title with the summary."""
    sheets = [(t.title, t.columns, t.rows, f"{report.title} · {t.title}：{t.summary}") for t in report.tables]
    return xlsx_response(sheets, report.filename)


def cell(value, kind):
    """A value as printed in the HTML report."""
    if value is None:
        return "—" if kind in ("percent", "float") else ""
    if kind == "percent":
        return f"{value * 100:.1f}%"
    if kind == "float":
        return f"{value:.2f}"
    if isinstance(value, datetime):
        return to_local(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def as_html(report):
    """The printable page (no scripts: it passes the Content-Security-Policy as it is)."""
    body = render_template("stats/report.html", report=report, cell=cell, generated=to_local(report.generated_at))
    return Response(body, mimetype="text/html")
