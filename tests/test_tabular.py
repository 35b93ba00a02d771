import csv
import io
from datetime import UTC, date, datetime

import openpyxl

from patrol.tabular import Column, as_dates, table_response

COLUMNS = [
    Column("grid", "网格"),
    Column("day", "日期", kind="date"),
    Column("done", "完成", kind="int"),
    Column("rate", "比率", kind="percent"),
    Column("at", "时间", kind="datetime"),
]
ROWS = [
    {
        "grid": "文溪社区第1网格",
        "day": date(2026, 11, 1),
        "done": 2,
        "rate": 0.5,
        "at": datetime(2026, 11, 1, 1, 30, tzinfo=UTC),
    },
    {"grid": '=HYPERLINK("x")', "day": date(2026, 11, 2), "done": 0, "rate": None, "at": None},
]


def test_csv_reads_back_with_chinese_headers_and_local_times(app):
    with app.test_request_context():
        response = table_response("csv", ROWS, COLUMNS, "巡查统计")
        text = response.get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["网格", "日期", "完成", "比率", "时间"]
    assert rows[1] == ["文溪社区第1网格", "2026-11-01", "2", "0.5000", "2026-11-01 09:30:00"]
    assert rows[2][0].startswith("'=")  # formula injection neutralised
    assert "UTF-8''" in response.headers["Content-Disposition"]


def test_xlsx_reads_back_with_types_and_frozen_header(app):
    with app.test_request_context():
        response = table_response("xlsx", ROWS, COLUMNS, "巡查统计", sheet_name="巡查")
        data = response.get_data()
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book["巡查"]
    assert sheet.freeze_panes == "A2"
    assert [c.value for c in sheet[1]] == ["网格", "日期", "完成", "比率", "时间"]
    assert sheet["C2"].value == 2 and sheet["D2"].value == 0.5 and sheet["D2"].number_format == "0.0%"
    assert sheet["E2"].value == datetime(2026, 11, 1, 9, 30)
    assert sheet["B3"].value == datetime(2026, 11, 2)


def test_json_rows_use_column_keys(app):
    with app.test_request_context():
        rows = table_response("json", ROWS, COLUMNS, "x")
    assert rows[0]["done"] == 2 and set(rows[0]) == {c.key for c in COLUMNS}


def test_csv_neutralises_every_formula_start_and_keeps_codes_text(app):
    columns = [Column("name", "名称"), Column("code", "编码")]
    hostile = ["=1+1", "+1", "-1+1", "@SUM(A1)", "\t=1+1", "\r=1+1", "\n=1"]
    rows = [{"name": text, "code": "01"} for text in hostile]
    with app.test_request_context():
        text = table_response("csv", rows, columns, "x").get_data(as_text=True).lstrip("\ufeff")
    table = list(csv.reader(io.StringIO(text, newline="")))
    assert [row[0] for row in table[1:]] == ["'" + h for h in hostile]
    assert all(row[1] == "\t01" for row in table[1:])  # digits stay text when a spreadsheet opens the file


def test_xlsx_title_header_and_text_starting_with_equals_are_strings(app):
    columns = [Column("name", "=名称"), Column("code", "编码")]
    rows = [{"name": '=HYPERLINK("http://x")', "code": "01"}, {"name": "+86 区域", "code": "330106194611091234"}]
    with app.test_request_context():
        data = table_response("xlsx", rows, columns, "x", sheet_name="表", title="=报表标题").get_data()
    sheet = openpyxl.load_workbook(io.BytesIO(data))["表"]
    cells = [c for row in sheet.iter_rows() for c in row if c.value is not None]
    assert all(c.data_type == "s" for c in cells), [(c.coordinate, c.value, c.data_type) for c in cells]
    assert sheet["A1"].value == "=报表标题" and sheet["A3"].value == '=HYPERLINK("http://x")'
    assert sheet["B4"].value == "330106194611091234"


def test_iso_day_strings_of_date_columns_become_dates(app):
    columns = as_dates([Column("key", "日期"), Column("done", "完成", kind="int")], "key")
    with app.test_request_context():
        data = table_response("xlsx", [{"key": "2026-11-02", "done": 1}], columns, "x", sheet_name="s").get_data()
    cell = openpyxl.load_workbook(io.BytesIO(data))["s"]["A2"]
    assert cell.value == datetime(2026, 11, 2) and cell.is_date
