"""Compliance of 一日双巡 for a prepared day, rules per street and community, exports."""

import csv
import io
from datetime import time, timedelta

import openpyxl
import pytest

from patrol.patrols import rules
from tests.conftest import assert_error_shape
from tests.patrols.helpers import AM, PM, end_of, local_time, start_body, walk


def _patrol(client, grid, start, minutes, shift_lon=0.0):
    rows = [[t, lon + shift_lon, lat, *rest] for t, lon, lat, *rest in walk(grid, start, minutes=minutes)]
    body = start_body(grid.id, start)
    assert client.post("/api/v1/patrols", json=body).status_code == 201
    client.post(f"/api/v1/patrols/{body['id']}/points", json={"points": rows})
    return client.post(f"/api/v1/patrols/{body['id']}/finish", json={"ended_at": end_of(rows).isoformat()}).get_json()


@pytest.fixture
def day(demo, login):
    """Grid 1: a good am and a 10-minute pm; grid 2: an am walked mostly next door, no pm."""
    (_, grid_a), (_, grid_b) = demo["workers"][0], demo["workers"][1]
    one, two = login("demo-worker"), login("demo-worker2")
    assert _patrol(one, grid_a, local_time(2, AM), 40)["properties"]["valid"] is True
    _patrol(one, grid_a, local_time(2, PM), 10)
    _patrol(two, grid_b, local_time(2, AM), 40, shift_lon=0.0016)
    return {"date": local_time(2, AM).date().isoformat(), "a": grid_a, "b": grid_b}


def _stats(client, day, **extra):
    query = "&".join(f"{k}={v}" for k, v in {"from": day["date"], "to": day["date"], **extra}.items())
    response = client.get(f"/api/v1/stats/patrols?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response


def test_a_prepared_day_gives_the_expected_reasons(day, login):
    rows = {r["key"]: r for r in _stats(login("demo-street"), day).get_json()}
    assert len(rows) == 12
    a, b = rows[day["a"].code], rows[day["b"].code]
    assert (a["required"], a["done"], a["valid"], a["compliant_days"]) == (2, 2, 1, 0)
    assert set(a["reasons"]) == {"pm:too_short", "pm:low_coverage"}
    assert (b["required"], b["done"], b["valid"]) == (2, 1, 0)
    assert "am:mostly_outside" in b["reasons"] and b["reasons"]["pm:no_patrol"] == 1
    idle = rows["330106010002001"]
    assert idle["reasons"] == {"am:no_patrol": 1, "pm:no_patrol": 1} and idle["done"] == 0
    assert a["distance_km"] > 2.5 and 0 < a["coverage"] < 1


def test_a_community_override_changes_the_verdict(day, login):
    admin = login("demo-admin")
    community = day["a"].parent_id
    changed = admin.put(f"/api/v1/patrols/rules/{community}", json={"min_duration_min": 5, "min_coverage": 0.1})
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["rules"]["min_duration_min"] == 5
    a = {r["key"]: r for r in _stats(login("demo-street"), day).get_json()}[day["a"].code]
    assert (a["valid"], a["compliant_days"], a["reasons"]) == (2, 1, {})


def test_grouping_and_scope(day, login):
    by_community = _stats(login("demo-street"), day, group_by="community").get_json()
    assert [r["key"] for r in by_community] == ["330106010001", "330106010002", "330106010003"]
    assert by_community[0]["required"] == 8 and by_community[0]["valid"] == 1
    by_worker = _stats(login("demo-community"), day, group_by="worker").get_json()
    assert {r["key"] for r in by_worker} == {"demo-worker", "demo-worker2", "demo-worker3", "demo-worker4"}
    assert [r["key"] for r in _stats(login("demo-worker"), day).get_json()] == [day["a"].code]
    by_day = _stats(login("demo-street"), day, group_by="day").get_json()
    assert by_day[0]["required"] == 24 and by_day[0]["done"] == 3
    assert_error_shape(login("demo-street").get("/api/v1/stats/patrols?from=2026-02-01&to=2026-01-01"), 422)
    assert_error_shape(login("demo-street").get("/api/v1/stats/patrols?from=x&to=y"), 422)


def test_csv_and_xlsx_give_the_same_rows(day, login):
    client = login("demo-street")
    rows = _stats(client, day).get_json()
    text = _stats(client, day, format="csv").get_data().decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert table[0][:3] == ["编码", "名称", "应巡次数"]
    assert [r[0].lstrip("\t") for r in table[1:]] == [r["key"] for r in rows]  # codes carry a TAB for spreadsheets
    assert [int(r[4]) for r in table[1:]] == [r["valid"] for r in rows]
    book = openpyxl.load_workbook(io.BytesIO(_stats(client, day, format="xlsx").get_data()), read_only=True)
    values = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    keys = [v[0] for v in values if v and v[0] in {r["key"] for r in rows}]
    assert keys == [r["key"] for r in rows]
    book.close()


def test_rules_api_is_for_admins_and_checks_values(demo, login):
    street = demo["grids"][0].parent.parent_id
    assert_error_shape(login("demo-worker").put(f"/api/v1/patrols/rules/{street}", json={"min_coverage": 0.2}), 403)
    admin = login("demo-admin")
    assert_error_shape(admin.put(f"/api/v1/patrols/rules/{street}", json={"min_coverage": 2}), 422)
    assert_error_shape(admin.put(f"/api/v1/patrols/rules/{street}", json={"colour": 1}), 422)
    assert_error_shape(admin.put(f"/api/v1/patrols/rules/{street}", json={"am_end": "13:00:00"}), 422)
    assert_error_shape(admin.put(f"/api/v1/patrols/rules/{demo['grids'][0].id}", json={"min_coverage": 0.2}), 404)
    done = admin.put(f"/api/v1/patrols/rules/{street}", json={"am_start": "07:00:00", "min_inside_share": 0.5})
    assert done.status_code == 200
    seen = login("demo-community").get(f"/api/v1/patrols/rules/{demo['grids'][0].parent_id}").get_json()
    assert seen["rules"]["am_start"] == "07:00:00" and seen["rules"]["min_inside_share"] == 0.5
    assert seen["overrides"] == {}


def test_rules_cli(demo, runner):
    result = runner.invoke(args=["patrols", "rules", "330106010", "--min-duration", "25", "--pm-end", "19:30"])
    assert result.exit_code == 0, result.output
    effective = rules.effective_rules("330106010001001")
    assert effective["min_duration_min"] == 25 and effective["pm_end"] == time(19, 30)
    result = runner.invoke(args=["patrols", "rules", "330106010001", "--min-duration", "15"])
    assert rules.effective_rules("330106010001001")["min_duration_min"] == 15
    assert rules.effective_rules("330106010002001")["min_duration_min"] == 25
    result = runner.invoke(args=["patrols", "rules", "330106010001", "--clear", "min_duration_min"])
    assert result.exit_code == 0 and rules.effective_rules("330106010001001")["min_duration_min"] == 25
    assert runner.invoke(args=["patrols", "rules", "999"]).exit_code == 1
    assert runner.invoke(args=["patrols", "rules", "330106010", "--am-start", "13:00"]).exit_code == 1


def test_a_shift_counts_once_whatever_the_number_of_tries(day, login):
    """A valid second try makes the shift valid; of two failed tries the closer one gives the reasons."""
    one, two = login("demo-worker"), login("demo-worker2")
    before = {r["key"]: r for r in _stats(login("demo-street"), day).get_json()}[day["b"].code]
    assert _patrol(one, day["a"], local_time(2, PM) + timedelta(minutes=20), 40)["properties"]["valid"] is True
    _patrol(two, day["b"], local_time(2, AM) + timedelta(minutes=50), 8, shift_lon=0.0016)
    rows = {r["key"]: r for r in _stats(login("demo-street"), day).get_json()}
    a, b = rows[day["a"].code], rows[day["b"].code]
    assert (a["done"], a["valid"], a["compliant_days"], a["reasons"]) == (2, 2, 1, {})
    assert (b["done"], b["valid"], b["reasons"]) == (1, 0, before["reasons"])
    assert b["duration_h"] > before["duration_h"]  # figures still add up every try


def test_xlsx_grouped_by_day_writes_real_dates(day, login):
    client = login("demo-street")
    data = _stats(client, day, format="xlsx", group_by="day").get_data()
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    first = next(row for row in sheet.iter_rows(min_row=3) if row[0].value is not None)
    assert first[0].is_date and first[0].value.date().isoformat() == str(day["date"])
    assert first[1].is_date  # the name column of a day is the day too
