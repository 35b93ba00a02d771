"""Generated reports for a prepared day match figures computed by hand; XLSX and HTML carry the same."""

import io

import openpyxl

from tests.conftest import assert_error_shape
from tests.maps import helpers


def table(report, key):
    return next(t for t in report["tables"] if t["key"] == key)


def by_key(rows, key="key"):
    return {row[key]: row for row in rows}


def street_id(client):
    return next(a["id"] for a in client.get("/api/v1/review/context").get_json()["streets"])


def test_day_report_for_the_street_matches_hand_counts(prepared_day, login):
    street = login("demo-street")
    day = prepared_day["day"]
    response = street.get(f"/api/v1/reports/day?date={day}")
    assert response.status_code == 200, response.get_json()
    report = response.get_json()
    assert report["start"] == report["end"] == str(day) and report["area"]["code"] == "330106010"

    compliance = table(report, "compliance")
    grids = by_key(compliance["rows"])
    assert len(grids) == 12
    assert (grids[helpers.FIRST_GRID]["required"], grids[helpers.FIRST_GRID]["valid"]) == (2, 2)
    assert (grids[helpers.FIRST_GRID]["compliant_days"], grids[helpers.FIRST_GRID]["rate"]) == (1, 1.0)
    assert (grids[helpers.OTHER_COMMUNITY_GRID]["valid"], grids[helpers.OTHER_COMMUNITY_GRID]["rate"]) == (1, 0.0)
    assert sum(r["valid"] for r in compliance["rows"]) == 3
    assert "有效 3 次" in compliance["summary"] and "1/12 网格日（8.3%）" in compliance["summary"]

    indicators = table(report, "incident_indicators")
    categories = by_key(indicators["rows"])
    assert set(categories) == {"01", "04", "06"}
    assert (categories["04"]["reported"], categories["04"]["closed"], categories["04"]["closed_on_time"]) == (1, 1, 1)
    assert (categories["06"]["reported"], categories["06"]["due"], categories["06"]["closed"]) == (1, 0, 0)
    assert (categories["01"]["due"], categories["01"]["closed_on_time"], categories["01"]["open_overdue"]) == (1, 0, 1)
    assert indicators["summary"] == "上报 3 件，结案 1 件，应结案 2 件中按期 1 件，按期结案率 50.0%"

    statuses = by_key(table(report, "incident_status")["rows"])
    assert (statuses["04"]["total"], statuses["04"]["closed"]) == (1, 1)
    assert (statuses["06"]["total"], statuses["06"]["reported"]) == (1, 1)
    assert (statuses["01"]["dispatched"], statuses["01"]["overdue"]) == (1, 1)

    overdue = table(report, "overdue_incidents")
    assert [row["id"] for row in overdue["rows"]] == [prepared_day["b"]]
    # Late by hours: one day begun, not 0.
    assert overdue["rows"][0]["days_overdue"] == 1 and overdue["rows"][0]["status"] == "已派遣"

    visits = by_key(table(report, "visits")["rows"])
    assert visits["elderly_alone"]["done"] == 1 and visits["elderly_alone"]["persons"] == 1
    check_html_report_is_printable_without_scripts(prepared_day, login)


def test_community_report_counts_only_the_community(prepared_day, login, runner, tmp_path):
    community = login("demo-community")
    report = community.get(f"/api/v1/reports/week?date={prepared_day['day']}").get_json()
    assert report["area"]["code"] == "330106010001" and report["start"] == str(prepared_day["week_start"])
    grids = table(report, "compliance")["rows"]
    assert len(grids) == 4 and all(g["key"].startswith("330106010001") for g in grids)
    total_reported = sum(r["reported"] for r in table(report, "incident_indicators")["rows"])
    assert total_reported == 2
    assert "按期结案率 100.0%" in table(report, "incident_indicators")["summary"]
    assert table(report, "overdue_incidents")["rows"] == []
    check_cli_writes_the_monthly_report(prepared_day, runner, tmp_path)


def test_xlsx_report_reads_back_with_the_same_figures(prepared_day, login):
    street = login("demo-street")
    day = prepared_day["day"]
    report = street.get(f"/api/v1/reports/month?date={day}").get_json()
    response = street.get(f"/api/v1/reports/month?date={day}&format=xlsx")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.data), read_only=True)
    assert book.sheetnames == [t["title"] for t in report["tables"]]
    sheet = book["巡查达标（按网格）"]
    rows = list(sheet.iter_rows(values_only=True))
    assert table(report, "compliance")["summary"] in rows[0][0]
    assert rows[1][:3] == ("网格编码", "网格名称", "应巡次数")
    first = next(r for r in rows[2:] if r[0] == helpers.FIRST_GRID)
    expected = by_key(table(report, "compliance")["rows"])[helpers.FIRST_GRID]
    assert (first[4], first[6]) == (expected["valid"], expected["compliant_days"])
    incidents = list(book["事件处置（按类别）"].iter_rows(values_only=True))
    assert {r[0]: r[2] for r in incidents[2:]} == {"01": 1, "04": 1, "06": 1}
    audit = street.get("/api/v1/audit?action=stats.report")
    assert audit.status_code == 200 and "stats.report" in audit.get_data(as_text=True)


def check_html_report_is_printable_without_scripts(prepared_day, login):
    street = login("demo-street")
    response = street.get(f"/api/v1/reports/day?date={prepared_day['day']}&format=html")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "<script" not in page and "日报" in page
    assert "按期结案率 50.0%" in page and "@media print" in page
    assert " / " not in page and "print with" not in page  # one language on the printed page
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def check_cli_writes_the_monthly_report(prepared_day, runner, tmp_path):
    out = tmp_path / "month.xlsx"
    result = runner.invoke(
        args=[
            "report",
            "--period",
            "month",
            "--date",
            str(prepared_day["day"]),
            "--area",
            "330106010",
            "--out",
            str(out),
        ]
    )
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out, read_only=True)
    assert "巡查达标（按网格）" in book.sheetnames and "走访统计" not in book.sheetnames
    html = tmp_path / "day.html"
    result = runner.invoke(
        args=[
            "report",
            "--period",
            "day",
            "--date",
            str(prepared_day["day"]),
            "--area",
            "330106010001",
            "--out",
            str(html),
        ]
    )
    assert result.exit_code == 0 and "<table>" in html.read_text(encoding="utf-8")


def test_report_refusals(demo, login):
    community, worker = login("demo-community"), login("demo-worker")
    assert_error_shape(community.get("/api/v1/reports/day?area_id=999999"), 404)
    street = next(a for a in login("demo-street").get("/api/v1/review/context").get_json()["streets"])
    assert_error_shape(community.get(f"/api/v1/reports/day?area_id={street['id']}"), 403)
    assert_error_shape(worker.get("/api/v1/reports/day"), 403)
    assert_error_shape(community.get("/api/v1/reports/year"), 404)
    assert_error_shape(community.get("/api/v1/reports/day?format=pdf"), 422)
    assert_error_shape(community.get("/api/v1/reports/day?date=2999-01-01"), 422)
