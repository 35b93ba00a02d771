"""CSV and XLSX responses for statistics and exports: streamed, Chinese headers, read-back friendly.

A feature describes its table once as a list of Column and hands rows (dicts or tuples) to
`table_response`; the same rows then serve JSON, CSV and XLSX, so the formats never disagree.
"""

import csv
import io
import re
import tempfile
from dataclasses import dataclass, replace
from datetime import date, datetime
from urllib.parse import quote

import xlsxwriter
from flask import Response, stream_with_context

from patrol.localtime import to_local


@dataclass(frozen=True)
class Column:
    key: str
    header_zh: str
    header_en: str = ""
    kind: str = "text"  # text | int | float | percent | date | datetime
    width: int = 14


def as_dates(columns, *keys):
    """The columns with `keys` of kind date (e.g. the key of a table grouped by day, given as 'YYYY-MM-DD')."""
    return [replace(c, kind="date") if c.key in keys else c for c in columns]


def _cell(value, kind):
    if value is None:
        return None
    if kind == "datetime" and isinstance(value, datetime):
        return to_local(value).replace(tzinfo=None)
    if kind == "date" and isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    return value


# A leading = + - @ (or TAB / CR, which spreadsheets skip before them) starts a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
# Digit strings (codes like 01, ID and phone numbers) that a spreadsheet would turn into numbers.
NUMBER_LIKE = re.compile(r"\d+[Xx]?")


def _csv_text(value, kind):
    value = _cell(value, kind)
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if kind == "percent" and isinstance(value, float):
        return f"{value:.4f}"
    text = str(value)
    if not isinstance(value, str):
        return text
    if text.startswith(FORMULA_STARTS):
        return "'" + text  # spreadsheet formula injection: shown as text
    if NUMBER_LIKE.fullmatch(text):
        # A leading TAB keeps leading zeros and all 18 digits when Calc or Excel open the file.
        return "\t" + text
    return text


def _values(row, columns):
    if isinstance(row, dict):
        return [row.get(c.key) for c in columns]
    return list(row)


def _disposition(filename):
    return (
        f'attachment; filename="{filename.encode("ascii", "ignore").decode() or "export"}"; '
        f"filename*=UTF-8''{quote(filename)}"
    )


def csv_response(rows, columns, filename):
    """Stream rows as UTF-8 CSV with a BOM (so Excel in China opens it correctly)."""

    def generate():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        buffer.write("\ufeff")
        writer.writerow([c.header_zh for c in columns])
        for n, row in enumerate(rows, start=1):
            values = _values(row, columns)
            writer.writerow([_csv_text(v, c.kind) for v, c in zip(values, columns, strict=True)])
            if n % 500 == 0:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    return Response(
        stream_with_context(generate()),
        mimetype="text/csv",
        headers={"Content-Disposition": _disposition(filename + ".csv")},
    )


FORMATS = {"int": "0", "float": "0.00", "percent": "0.0%", "date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm"}


def write_sheet(workbook, name, columns, rows, title=None):
    """Add one sheet: optional title line, bold frozen header, number formats, column widths."""
    sheet = workbook.add_worksheet(name[:31])
    header = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
    formats = {kind: workbook.add_format({"num_format": fmt}) for kind, fmt in FORMATS.items()}
    first = 0
    if title:
        sheet.write_string(0, 0, str(title), workbook.add_format({"bold": True, "font_size": 13}))
        first = 1
    for col, column in enumerate(columns):
        sheet.write_string(first, col, column.header_zh, header)
        sheet.set_column(col, col, column.width, formats.get(column.kind))
    sheet.freeze_panes(first + 1, 0)
    for r, row in enumerate(rows, start=first + 1):
        for col, (value, column) in enumerate(zip(_values(row, columns), columns, strict=True)):
            value = _cell(value, column.kind)
            if value is None:
                continue
            if isinstance(value, datetime):
                sheet.write_datetime(r, col, value, formats["datetime"])
            elif isinstance(value, date):
                sheet.write_datetime(r, col, datetime(value.year, value.month, value.day), formats["date"])
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                sheet.write_number(r, col, value, formats.get(column.kind))
            else:
                sheet.write_string(r, col, str(value))
    return sheet


def xlsx_response(sheets, filename):
    """sheets: [(sheet name, columns, rows, optional title)]; constant-memory XLSX via a temp file."""
    spool = tempfile.TemporaryFile()  # noqa: SIM115 -- closed by the response generator
    # Text is always written as text: never a formula, number or URL (names and titles may start with =).
    options = {"strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False}
    workbook = xlsxwriter.Workbook(spool, {"constant_memory": True, "in_memory": False, **options})
    for sheet in sheets:
        write_sheet(workbook, *sheet)
    workbook.close()
    size = spool.tell()
    spool.seek(0)

    def generate():
        with spool:
            while chunk := spool.read(64 * 1024):
                yield chunk

    return Response(
        generate(),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": _disposition(filename + ".xlsx"), "Content-Length": str(size)},
    )


def table_response(fmt, rows, columns, filename, sheet_name="数据", title=None):
    """JSON list (fmt json), streamed CSV or XLSX for the same rows."""
    if fmt == "csv":
        return csv_response(rows, columns, filename)
    if fmt == "xlsx":
        return xlsx_response([(sheet_name, columns, rows, title)], filename)
    return [dict(zip([c.key for c in columns], _values(row, columns), strict=True)) for row in rows]
