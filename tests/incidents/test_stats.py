"""Indicators for a prepared week match values computed by hand; CSV and XLSX read back."""

import csv
import io
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from sqlalchemy import select

from patrol.areas.models import Area
from patrol.auth.models import User
from patrol.extensions import db
from patrol.incidents import service, workflow
from tests.conftest import assert_error_shape
from tests.incidents.helpers import point_in

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day, hour, minute=0):
    """A moment in November 2026, local time."""
    month, day = (10, day - 100) if day > 100 else (11, day)
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def user(username):
    return db.session.execute(select(User).where(User.username == username)).scalar_one()


@pytest.fixture
def prepared_week(departments, clock):
    """Eight cases around the week Mon 2 – Sun 8 November 2026 (see the expected values below)."""
    worker, street = user("demo-worker"), user("demo-street")
    handlers = {"chengguan": user("dept-chengguan"), "huanwei": user("dept-huanwei")}

    def report(category, when, **extra):
        clock.now = when
        data = {
            "id": uuid.uuid4(),
            "location": point_in("330106010001001"),
            "category": category,
            "reported_at": when,
            **extra,
        }
        return service.report_incident(worker, data)[0].id

    def step(incident_id, action, when, who=street, **body):
        clock.now = when
        workflow.act(who, incident_id, {"action": action, "note": "n", **body})

    a = report("0602", at(2, 9))  # 24 h deadline, closed on time
    step(a, "accept", at(2, 9, 30))
    step(a, "dispatch", at(2, 10))
    step(a, "resolve", at(2, 15), handlers["chengguan"])
    step(a, "close", at(2, 16))
    b = report("0602", at(2, 10))  # dispatched late (26 h), reworked, closed late
    step(b, "accept", at(2, 11))
    step(b, "dispatch", at(3, 12))
    step(b, "resolve", at(4, 10), handlers["chengguan"])
    step(b, "send_back", at(4, 11))
    step(b, "resolve", at(5, 9), handlers["chengguan"])
    step(b, "close", at(5, 10))
    c = report("0401", at(3, 8))  # 环卫, 24 h, never resolved: open and overdue
    step(c, "accept", at(3, 8, 10))
    step(c, "dispatch", at(3, 8, 20))
    report("0401", at(4, 8), handled_on_spot=True, note="当场清理")  # d
    e = report("0601", at(5, 9))
    step(e, "reject", at(5, 10))
    f = report("0601", at(6, 9))  # 5 working days: due after the week
    step(f, "accept", at(6, 9, 30))
    step(f, "dispatch", at(6, 10))
    report("0602", at(7, 9))  # g: only reported
    h = report("0602", at(130, 9))  # h: reported 30 October, closed inside the week
    step(h, "accept", at(130, 10))
    step(h, "dispatch", at(131, 9))
    step(h, "resolve", at(3, 9), handlers["chengguan"])
    step(h, "close", at(3, 10))
    return {"a": a, "b": b, "c": c, "f": f}


def indicators(api, group_by, fmt=None):
    url = f"/api/v1/stats/incidents?from=2026-11-02&to=2026-11-08&group_by={group_by}"
    response = api.get(url + (f"&format={fmt}" if fmt else ""))
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response


def test_indicators_by_category_match_hand_computed_values(prepared_week, street):
    rows = {r["key"]: r for r in indicators(street, "category").get_json()}
    assert set(rows) == {"04", "06", None}
    total, env, illegal = rows[None], rows["04"], rows["06"]
    assert total["label"] == "合计"
    expected_total = {
        "reported": 7,
        "handled_on_spot": 1,
        "accepted": 4,
        "dispatched": 4,
        "dispatched_on_time": 3,
        "closed": 3,
        "due": 3,
        "closed_on_time": 1,
        "rework": 1,
        "open_overdue": 1,
    }
    assert {k: total[k] for k in expected_total} == expected_total
    assert total["on_time_close_rate"] == pytest.approx(1 / 3, abs=1e-4)
    assert total["on_time_dispatch_rate"] == 0.75
    assert total["avg_handling_hours"] == pytest.approx((7 + 72 + 97) / 3, abs=0.01)
    assert (illegal["reported"], illegal["accepted"], illegal["dispatched"], illegal["closed"]) == (5, 3, 3, 3)
    assert (illegal["due"], illegal["closed_on_time"], illegal["on_time_close_rate"]) == (2, 1, 0.5)
    assert (illegal["rework"], illegal["open_overdue"], illegal["handled_on_spot"]) == (1, 0, 0)
    assert illegal["on_time_dispatch_rate"] == pytest.approx(2 / 3, abs=1e-4)
    assert (env["reported"], env["handled_on_spot"], env["due"], env["closed_on_time"]) == (2, 1, 1, 0)
    assert (env["on_time_close_rate"], env["open_overdue"], env["closed"], env["avg_handling_hours"]) == (0, 1, 0, None)


def test_indicators_by_day_and_department(prepared_week, street, departments):
    by_day = {r["key"]: r for r in indicators(street, "day").get_json()}
    assert {d: by_day[d]["reported"] for d in by_day if d} == {
        "2026-11-02": 2,
        "2026-11-03": 1,
        "2026-11-04": 1,
        "2026-11-05": 1,
        "2026-11-06": 1,
        "2026-11-07": 1,
    }
    assert by_day["2026-11-03"]["closed"] == 1 and by_day["2026-11-05"]["closed"] == 1
    assert by_day["2026-11-04"]["due"] == 2 and by_day["2026-11-04"]["rework"] == 1
    by_department = {r["label"]: r for r in indicators(street, "department").get_json()}
    assert by_department["综合行政执法中队（城管）"]["reported"] == 3
    assert by_department["环卫所"]["open_overdue"] == 1
    assert by_department["未派遣"]["reported"] == 3
    grid = indicators(street, "grid").get_json()
    assert grid[0]["key"] == "330106010001001" and grid[0]["reported"] == 7


def test_department_sees_only_its_own_figures(prepared_week, huanwei):
    rows = {r["key"]: r for r in indicators(huanwei, "category").get_json()}
    assert set(rows) == {"04", None}
    assert rows[None]["reported"] == 1 and rows[None]["open_overdue"] == 1


def test_csv_and_xlsx_read_back(prepared_week, street):
    response = indicators(street, "category", "csv")
    assert response.mimetype == "text/csv"
    text = response.get_data().decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert table[0][:3] == ["编码", "名称", "上报数"]
    assert "按期结案率" in table[0]
    total = dict(zip(table[0], table[-1], strict=True))
    assert total["名称"] == "合计" and total["上报数"] == "7" and total["按期结案率"] == "0.3333"
    workbook = openpyxl.load_workbook(io.BytesIO(indicators(street, "category", "xlsx").get_data()), read_only=True)
    sheet = workbook.active
    values = list(sheet.iter_rows(values_only=True))
    assert "事件处置指标" in values[0][0]
    header = values[1]
    last = dict(zip(header, values[-1], strict=True))
    assert last["名称"] == "合计" and last["上报数"] == 7 and last["结案数"] == 3
    assert last["按期结案率"] == pytest.approx(1 / 3, abs=1e-4)
    workbook.close()


def test_indicator_scope_and_input(departments, login):
    worker, street, community = login("demo-worker"), login("demo-street"), login("demo-community")
    assert_error_shape(worker.get("/api/v1/stats/incidents?from=2026-11-02&to=2026-11-08"), 403)
    assert_error_shape(street.get("/api/v1/stats/incidents?from=2026-11-08&to=2026-11-02"), 422)
    assert_error_shape(street.get("/api/v1/stats/incidents?from=2026-11-02"), 422)
    assert_error_shape(street.get("/api/v1/stats/incidents?from=2026-11-02&to=2026-11-08&group_by=x"), 422)
    assert_error_shape(street.get("/api/v1/stats/incidents?from=2020-01-01&to=2026-11-08"), 422)
    other = db.session.execute(select(Area.id).where(Area.code == "330106010002")).scalar()
    assert_error_shape(community.get(f"/api/v1/stats/incidents?from=2026-11-02&to=2026-11-08&area_id={other}"), 403)
    answer = street.get(f"/api/v1/stats/incidents?from=2026-11-02&to=2026-11-08&area_id={other}")
    assert answer.status_code == 200 and answer.get_json()[-1]["reported"] == 0


def test_category_codes_survive_calc_and_days_are_dates_in_xlsx(prepared_week, street):
    from tests.spreadsheet import calc_cells, column

    cells = calc_cells(indicators(street, "category", "csv").get_data())
    codes = [value for value, _ in column(cells, "编码") if value is not None]
    assert codes and all(isinstance(v, str) and v.strip().startswith("0") for v in codes), codes
    book = openpyxl.load_workbook(io.BytesIO(indicators(street, "day", "xlsx").get_data()))
    rows = list(book.active.iter_rows(min_row=3))
    days = [row[0] for row in rows if row[0].value is not None]
    assert days and all(isinstance(c.value, datetime) and c.is_date for c in days), [c.value for c in days]
    assert days[0].number_format == "yyyy-mm-dd"
