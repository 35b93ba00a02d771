"""Who sees which tasks, key places and figures; polygons and retirement of key places."""

from datetime import timedelta

from patrol.localtime import today
from tests.conftest import assert_error_shape
from tests.tasks.conftest import line_walk, list_type, push, recent_start, record_patrol

SQUARE = {  # about 40 m × 45 m inside 330106010001001
    "type": "Polygon",
    "coordinates": [
        [[120.1213, 30.2827], [120.1217, 30.2827], [120.1217, 30.2831], [120.1213, 30.2831], [120.1213, 30.2827]]
    ],
}


def test_departments_see_their_own_tasks_and_workers_their_items(street, department, health, grids, login):
    list_type(street)
    g1, g5 = grids["330106010001001"].id, grids["330106010002001"].id
    fire_task = push(department, [g1])
    health_task = push(health, [g5])
    assert [t["id"] for t in department.get("/api/v1/tasks").get_json()] == [fire_task["id"]]
    assert_error_shape(department.get(f"/api/v1/tasks/{health_task['id']}"), 404)
    assert {t["id"] for t in street.get("/api/v1/tasks").get_json()} == {fire_task["id"], health_task["id"]}
    detail = login("demo-worker").get(f"/api/v1/tasks/{fire_task['id']}").get_json()
    assert [i["grid_id"] for i in detail["checklist"]] == [g1]
    assert_error_shape(login("demo-worker").get(f"/api/v1/tasks/{health_task['id']}"), 404)
    assert_error_shape(department.get("/api/v1/tasks/items"), 403)
    # Tasks go to grids of one street only, and only inside the pusher's area.
    assert_error_shape(
        login("demo-community").post(
            "/api/v1/tasks", json={"type": "x", "grid_ids": [g1], "due_date": today().isoformat()}
        ),
        403,
    )


def test_unbound_admin_names_the_street(demo, login):
    admin = login("demo-admin")
    assert_error_shape(admin.get("/api/v1/tasks/duty-list"), 422)
    street_id = demo["grids"][0].parent.parent_id
    listed = admin.get(f"/api/v1/tasks/duty-list?street_id={street_id}")
    assert listed.status_code == 200 and listed.get_json()["street_code"] == "330106010"
    assert_error_shape(admin.get("/api/v1/tasks/duty-list?street_id=999999"), 404)
    assert_error_shape(login("demo-worker").get(f"/api/v1/tasks/duty-list?street_id={street_id}"), 403)
    assert login("demo-worker").get("/api/v1/tasks/duty-list").status_code == 200


def test_polygon_place_checked_by_a_patrol_walking_through_it(street, grids, login):
    grid_id = grids["330106010001001"].id
    created = street.post(
        "/api/v1/tasks/key-places", json={"name": "农贸市场", "category": "market", "geometry": SQUARE}
    )
    assert created.status_code == 201, created.get_json()
    place = created.get_json()
    assert place["geometry"]["type"] == "Polygon" and place["properties"]["check_every_days"] == 1
    worker = login("demo-worker")
    start = recent_start()
    record_patrol(worker, grid_id, start, line_walk(start, (120.1205, 30.2829), (120.1225, 30.2829)))
    day = today().isoformat()
    status = street.get(f"/api/v1/tasks/key-places/status?from={day}&to={day}").get_json()
    assert [(s["grid_id"], s["due"], s["checked"]) for s in status] == [(grid_id, 1, 1)]
    assert worker.get(f"/api/v1/tasks/key-places/status?from={day}&to={day}").status_code == 200
    assert_error_shape(
        login("demo-worker2").get(f"/api/v1/tasks/key-places/status?from={day}&to={day}&grid_id={grid_id}"), 403
    )
    too_long = (today() - timedelta(days=400)).isoformat()
    assert_error_shape(street.get(f"/api/v1/tasks/key-places/status?from={too_long}&to={day}"), 422)


def test_retired_place_leaves_the_map_and_the_phone(street, grids, login):
    place = street.post(
        "/api/v1/tasks/key-places",
        json={
            "name": "工地",
            "category": "construction",
            "geometry": {"type": "Point", "coordinates": [120.1215, 30.2829]},
        },
    ).get_json()
    worker = login("demo-worker")
    cursor = worker.get("/api/v1/sync/pull").get_json()["cursor"]
    assert len(street.get("/api/v1/tasks/key-places/missed").get_json()["features"]) == 1
    assert_error_shape(worker.patch(f"/api/v1/tasks/key-places/{place['id']}", json={"active": False}), 403)
    assert_error_shape(street.patch(f"/api/v1/tasks/key-places/{place['id']}", json={"active": "nope"}), 422)
    retired = street.patch(f"/api/v1/tasks/key-places/{place['id']}", json={"active": False, "name": "工地（已完工）"})
    assert retired.status_code == 200 and retired.get_json()["properties"]["active"] is False
    assert street.get("/api/v1/tasks/key-places/missed").get_json()["features"] == []
    assert street.get("/api/v1/tasks/key-places").get_json()["features"] == []
    changed = worker.get(f"/api/v1/sync/pull?since={cursor}").get_json()["records"]["key_places"]
    assert [(f["id"], f["properties"]["active"]) for f in changed] == [(place["id"], False)]
    assert_error_shape(
        login("demo-worker5").post(
            f"/api/v1/tasks/key-places/{place['id']}/notes",
            json={"id": "7d0f5b1e-8d8c-4a43-9d1e-2b8f0c6b1a11", "note": "x"},
        ),
        404,
    )
