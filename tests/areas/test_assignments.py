from datetime import date, timedelta

from tests.conftest import assert_error_shape


def _worker_id(login, username):
    return login(username).get("/api/v1/auth/me").get_json()["id"]


def test_assigning_a_grid_widens_the_workers_scope(demo, login):
    community = login("demo-community")
    second_grid = demo["grids"][1]  # community 1, grid 2
    worker_id = _worker_id(login, "demo-worker")
    response = community.post(f"/api/v1/areas/{second_grid.id}/assignments", json={"worker_id": worker_id})
    assert response.status_code == 201, response.get_json()
    codes = {
        f["properties"]["code"] for f in login("demo-worker").get("/api/v1/areas?level=grid").get_json()["features"]
    }
    assert codes == {"330106010001001", "330106010001002"}
    again = community.post(f"/api/v1/areas/{second_grid.id}/assignments", json={"worker_id": worker_id})
    assert_error_shape(again, 409)


def test_ended_and_future_assignments_do_not_count(demo, login):
    community = login("demo-community")
    grid = demo["grids"][2]
    worker_id = _worker_id(login, "demo-worker")
    future = community.post(
        f"/api/v1/areas/{grid.id}/assignments",
        json={"worker_id": worker_id, "start_date": str(date.today() + timedelta(days=3))},
    )
    assert future.status_code == 201
    codes = {
        f["properties"]["code"] for f in login("demo-worker").get("/api/v1/areas?level=grid").get_json()["features"]
    }
    assert codes == {"330106010001001"}
    own = community.get(f"/api/v1/areas/{demo['grids'][0].id}/assignments").get_json()[0]
    ended = community.patch(
        f"/api/v1/areas/{demo['grids'][0].id}/assignments/{own['id']}",
        json={"end_date": str(date.today() - timedelta(days=1))},
    )
    assert ended.status_code == 200
    assert login("demo-worker").get("/api/v1/areas?level=grid").get_json()["features"] == []


def test_assignment_outside_scope_or_by_worker_is_refused(demo, login):
    worker_id = _worker_id(login, "demo-worker")
    other_community_grid = demo["grids"][6]
    assert_error_shape(
        login("demo-community").post(
            f"/api/v1/areas/{other_community_grid.id}/assignments", json={"worker_id": worker_id}
        ),
        404,
    )
    assert_error_shape(
        login("demo-worker").post(f"/api/v1/areas/{demo['grids'][0].id}/assignments", json={"worker_id": worker_id}),
        403,
    )
    street_admin_id = _worker_id(login, "demo-street")
    assert_error_shape(
        login("demo-community").post(
            f"/api/v1/areas/{demo['grids'][1].id}/assignments", json={"worker_id": street_admin_id}
        ),
        422,
    )
    assert_error_shape(
        login("demo-community").post(
            f"/api/v1/areas/{demo['grids'][1].id}/assignments",
            json={"worker_id": worker_id, "start_date": "2026-01-05", "end_date": "2026-01-01"},
        ),
        422,
    )
