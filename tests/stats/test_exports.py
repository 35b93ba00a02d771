"""Exports read back (csv module, openpyxl, XML, JSON) match the API's figures; each one is audited and scoped."""

import csv
import io
import xml.etree.ElementTree as ET

import openpyxl

from tests.conftest import assert_error_shape
from tests.maps import helpers

GPX = "{http://www.topografix.com/GPX/1/1}"


def audit_actions(client):
    body = client.get("/api/v1/audit?limit=100").get_json()
    items = body["items"] if isinstance(body, dict) else body
    return [item["action"] for item in items]


def test_compliance_csv_matches_the_report(prepared_day, login):
    street = login("demo-street")
    day = prepared_day["day"]
    report = street.get(f"/api/v1/reports/day?date={day}").get_json()
    expected = {r["key"]: r for r in report["tables"][0]["rows"]}
    response = street.get(f"/api/v1/exports/compliance?format=csv&from={day}&to={day}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["网格编码", "网格名称", "应巡次数"]
    read = {row[0].lstrip("\t"): row for row in rows[1:]}  # codes carry a leading TAB for spreadsheets
    assert set(read) == set(expected)
    assert int(read[helpers.FIRST_GRID][4]) == expected[helpers.FIRST_GRID]["valid"] == 2
    assert "stats.export" in audit_actions(street)
    check_workbook_has_one_sheet_per_table(prepared_day, login)


def check_workbook_has_one_sheet_per_table(prepared_day, login):
    street = login("demo-street")
    day = prepared_day["day"]
    response = street.get(f"/api/v1/exports/workbook.xlsx?from={day}&to={day}")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.data), read_only=True)
    assert book.sheetnames == ["巡查达标", "事件处置", "走访统计"]
    incidents = list(book["事件处置"].iter_rows(values_only=True))
    assert incidents[1][0] == "类别编码"
    reported = {r[0]: r[2] for r in incidents[2:] if r[0]}
    api = street.get(f"/api/v1/exports/incidents?format=xlsx&from={day}&to={day}")
    again = list(openpyxl.load_workbook(io.BytesIO(api.data), read_only=True).active.iter_rows(values_only=True))
    assert reported == {r[0]: r[2] for r in again[2:] if r[0]} and reported["01"] == 1


def test_gpx_has_one_track_per_patrol_in_scope(prepared_day, login):
    admin = login("demo-community")
    response = admin.get(f"/api/v1/exports/tracks.gpx?date={prepared_day['day']}")
    assert response.status_code == 200 and response.mimetype == "application/gpx+xml"
    root = ET.fromstring(response.data)  # noqa: S314 -- our own response
    tracks = root.findall(f"{GPX}trk")
    assert len(tracks) == 2  # grid 001's two walks; grid 2001 is in another community
    points = tracks[0].findall(f"{GPX}trkseg/{GPX}trkpt")
    assert len(points) == 85 and points[0].find(f"{GPX}time") is not None
    xmin, ymin, xmax, ymax = helpers.grid_box(helpers.FIRST_GRID)
    assert all(xmin <= float(p.get("lon")) <= xmax and ymin <= float(p.get("lat")) <= ymax for p in points)
    check_geojson_layers(prepared_day, login)


def check_geojson_layers(prepared_day, login):
    street = login("demo-street")
    day = prepared_day["day"]
    tracks = street.get(f"/api/v1/exports/layers/tracks.geojson?date={day}")
    assert tracks.status_code == 200 and tracks.mimetype == "application/geo+json"
    assert len(tracks.get_json()["features"]) == 3
    incidents = street.get(f"/api/v1/exports/layers/incidents.geojson?date={day}").get_json()
    assert {f["id"] for f in incidents["features"]} == {prepared_day["a"], prepared_day["b"], prepared_day["c"]}
    grids = login("demo-community").get("/api/v1/exports/layers/grids.geojson").get_json()
    assert len(grids["features"]) == 4
    assert audit_actions(street).count("stats.export") >= 2


def test_export_refusals(demo, login):
    worker, handler_free = login("demo-worker"), login("demo-street")
    assert_error_shape(worker.get("/api/v1/exports/compliance?format=csv"), 403)
    assert_error_shape(handler_free.get("/api/v1/exports/compliance?format=pdf"), 422)
    assert_error_shape(handler_free.get("/api/v1/exports/compliance?from=2026-02-01&to=2026-01-01"), 422)
    assert_error_shape(handler_free.get("/api/v1/exports/people?format=csv"), 404)
    assert_error_shape(handler_free.get("/api/v1/exports/layers/people.geojson"), 404)
