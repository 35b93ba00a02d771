"""Key places: kept by staff, checked by passing patrols within 30 m, missed ones on the review map."""

import uuid

from sqlalchemy import text

from patrol.extensions import db
from patrol.localtime import today
from tests.conftest import assert_error_shape
from tests.tasks.conftest import line_walk, recent_start, record_patrol

PLACE = (120.1215, 30.2829)  # inside 330106010001001
NORTH_100M = 0.0009  # degrees of latitude ≈ 100 m


def add_place(api, name="文溪小学", lon_lat=PLACE, **extra):
    body = {"name": name, "category": "school", "geometry": {"type": "Point", "coordinates": list(lon_lat)}, **extra}
    response = api.post("/api/v1/tasks/key-places", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_patrol_passing_checks_a_key_place_and_one_100m_away_does_not(street, grids, login):
    grid_id = grids["330106010001001"].id
    near = add_place(street)
    far = add_place(street, "农贸市场", (PLACE[0], PLACE[1] - NORTH_100M))
    assert near["properties"]["grid_id"] == grid_id
    worker = login("demo-worker")
    day = today().isoformat()
    status = street.get(f"/api/v1/tasks/key-places/status?from={day}&to={day}&grid_id={grid_id}").get_json()
    assert [(s["due"], s["checked"]) for s in status] == [(2, 0)]
    # Walk west to east through the near place; the far one lies 100 m south of the track.
    rows = line_walk(recent_start(), (PLACE[0] - 0.001, PLACE[1]), (PLACE[0] + 0.001, PLACE[1]))
    record_patrol(worker, grid_id, recent_start(), rows)
    status = street.get(f"/api/v1/tasks/key-places/status?from={day}&to={day}&grid_id={grid_id}").get_json()
    assert [(s["grid_id"], s["due"], s["checked"]) for s in status] == [(grid_id, 2, 1)]
    missed = street.get("/api/v1/tasks/key-places/missed").get_json()
    assert missed["type"] == "FeatureCollection"
    assert [f["properties"]["id"] for f in missed["features"]] == [far["properties"]["id"]]
    assert missed["features"][0]["geometry"]["type"] == "Point"


def test_a_note_checks_the_place_and_is_idempotent(street, grids, login):
    place = add_place(street)
    worker = login("demo-worker")
    body = {"id": str(uuid.uuid4()), "note": "大门消防通道畅通"}
    first = worker.post(f"/api/v1/tasks/key-places/{place['id']}/notes", json=body)
    assert first.status_code == 201, first.get_json()
    replay = worker.post(f"/api/v1/tasks/key-places/{place['id']}/notes", json=body)
    assert replay.status_code == 200 and replay.get_json() == first.get_json()
    assert db.session.execute(text("SELECT count(*) FROM key_place_note")).scalar() == 1
    assert street.get("/api/v1/tasks/key-places/missed").get_json()["features"] == []
    assert_error_shape(login("demo-worker2").post(f"/api/v1/tasks/key-places/{place['id']}/notes", json=body), 409)
    empty = worker.post(f"/api/v1/tasks/key-places/{place['id']}/notes", json={"id": str(uuid.uuid4())})
    assert_error_shape(empty, 422)


def test_weekly_place_is_not_due_again_after_a_check(street, grids, login):
    place = add_place(street, check_every_days=7)
    worker = login("demo-worker")
    day = today().isoformat()
    grid_id = grids["330106010001001"].id
    worker.post(f"/api/v1/tasks/key-places/{place['id']}/notes", json={"id": str(uuid.uuid4()), "note": "ok"})
    response = street.get(f"/api/v1/tasks/key-places/status?from={day}&to={day}&grid_id={grid_id}")
    assert response.status_code == 200, response.get_json()
    assert [(s["due"], s["checked"]) for s in response.get_json()] == [(1, 1)]


def test_key_place_input_is_checked(street, login, grids):
    for bad in (
        {"geometry": {"type": "Point", "coordinates": [float("nan"), 30.28]}},
        {"geometry": {"type": "Point", "coordinates": [500, 30.28]}},
        {"geometry": {"type": "Point", "coordinates": [2.35, 48.85]}},
        {"geometry": {"type": "LineString", "coordinates": [[120.12, 30.28], [120.121, 30.281]]}},
        {"check_every_days": 0},
        {"name": ""},
        {"colour": "red"},
    ):
        body = {"name": "x", "category": "school", "geometry": {"type": "Point", "coordinates": list(PLACE)}, **bad}
        response = street.post("/api/v1/tasks/key-places", json=body)
        assert 400 <= response.status_code < 500, (bad, response.status_code)
        assert_error_shape(response, response.status_code)
    huge = {
        "type": "Polygon",
        "coordinates": [
            [[120.120, 30.280], [120.138, 30.280], [120.138, 30.292], [120.120, 30.292], [120.120, 30.280]]
        ],
    }
    assert_error_shape(
        street.post("/api/v1/tasks/key-places", json={"name": "x", "category": "c", "geometry": huge}), 422
    )
    other_grid = grids["330106010001002"].id
    wrong = street.post(
        "/api/v1/tasks/key-places",
        json={
            "name": "x",
            "category": "c",
            "grid_id": other_grid,
            "geometry": {"type": "Point", "coordinates": list(PLACE)},
        },
    )
    assert_error_shape(wrong, 422)
    assert_error_shape(login("demo-worker").post("/api/v1/tasks/key-places", json={"name": "x"}), 422)
    assert db.session.execute(text("SELECT count(*) FROM key_place")).scalar() == 0
