"""Reading patrols in scope: GeoJSON list and detail, GPX export."""

import gpxpy
import pytest

from tests.conftest import assert_error_shape
from tests.patrols.helpers import AM, end_of, local_time, start_body, walk


@pytest.fixture
def patrol(demo, login):
    worker, grid = demo["workers"][0]
    client = login("demo-worker")
    rows = walk(grid, local_time(1, AM), minutes=20)
    body = start_body(grid.id, local_time(1, AM))
    client.post("/api/v1/patrols", json=body)
    client.post(f"/api/v1/patrols/{body['id']}/points", json={"points": rows[:100] + rows[130:]})
    client.post(f"/api/v1/patrols/{body['id']}/finish", json={"ended_at": end_of(rows).isoformat()})
    return {"id": body["id"], "grid": grid, "worker": worker, "rows": rows}


def test_the_worker_and_the_reviewers_above_see_the_patrol(patrol, login):
    for username in ("demo-worker", "demo-community", "demo-street", "demo-admin"):
        client = login(username)
        feature = client.get(f"/api/v1/patrols/{patrol['id']}")
        assert feature.status_code == 200, username
        assert feature.get_json()["geometry"]["type"] == "MultiLineString"
        listed = client.get(f"/api/v1/patrols?grid_id={patrol['grid'].id}").get_json()
        assert [f["id"] for f in listed["features"]] == [patrol["id"]], username


def test_other_workers_and_other_communities_do_not(patrol, login, demo):
    assert_error_shape(login("demo-worker2").get(f"/api/v1/patrols/{patrol['id']}"), 404)
    assert login("demo-worker2").get("/api/v1/patrols").get_json()["features"] == []
    assert_error_shape(login("demo-worker2").get(f"/api/v1/patrols/{patrol['id']}.gpx"), 404)
    assert_error_shape(
        login("demo-worker2").post(f"/api/v1/patrols/{patrol['id']}/finish", json={"ended_at": "2026-01-01T00:00:00Z"}),
        404,
    )


def test_list_filters(patrol, login):
    client = login("demo-street")
    day = local_time(1, AM).date().isoformat()
    assert len(client.get(f"/api/v1/patrols?date={day}&worker_id={patrol['worker'].id}").get_json()["features"]) == 1
    assert client.get("/api/v1/patrols?date=2020-01-01").get_json()["features"] == []
    assert_error_shape(client.get("/api/v1/patrols?date=yesterday"), 422)
    assert_error_shape(client.get("/api/v1/patrols?colour=red"), 422)


def test_gpx_export_keeps_the_gap(patrol, login):
    response = login("demo-street").get(f"/api/v1/patrols/{patrol['id']}.gpx")
    assert response.status_code == 200 and response.mimetype == "application/gpx+xml"
    gpx = gpxpy.parse(response.get_data(as_text=True))
    segments = gpx.tracks[0].segments
    assert [len(s.points) for s in segments] == [100, len(patrol["rows"]) - 130]
    assert segments[0].points[0].latitude == pytest.approx(patrol["rows"][0][2])
