"""Departments at the seams: no worker tracks, only the photos of their cases, no reach into another street."""

import uuid
from datetime import timedelta

import pytest

from patrol.localtime import today
from tests.conftest import DEMO_PASSWORD, assert_error_shape
from tests.hardening.world import GRID_B, POINT_A, STREET_B, build_world, department_id_of, jpeg, upload_photo


@pytest.fixture
def world(demo, login):
    users, a, b, far = build_world(login)
    return users, a, b, far


def _report(worker, lon_lat, photo_id=None):
    body = {
        "id": str(uuid.uuid4()),
        "location": {"type": "Point", "coordinates": list(lon_lat)},
        "category": "0602",
        "description": "部门边界",
        "photo_ids": [photo_id] if photo_id else [],
    }
    response = worker.post("/api/v1/incidents", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def test_departments_do_not_read_worker_tracks_or_compliance(world):
    users, a, _b, _far = world
    department = users["department"]
    day = today().isoformat()
    week = f"from={(today() - timedelta(days=7)).isoformat()}&to={day}"
    for url in (
        f"/api/v1/patrols?grid_id={a['grid']}",
        "/api/v1/patrols",
        f"/api/v1/patrols/{a['patrol']}",
        f"/api/v1/patrols/{a['patrol']}.gpx",
        f"/api/v1/stats/patrols?{week}",
        f"/api/v1/stats/patrols?{week}&group_by=worker",
        f"/api/v1/stats/patrols?{week}&format=csv",
        "/api/v1/exports/tracks.gpx",
        "/api/v1/exports/layers/tracks.geojson",
    ):
        assert_error_shape(department.get(url), 403)
    # The street still reads them: the refusal is the role's, not a missing record.
    street = users["street_reviewer"]
    assert street.get(f"/api/v1/patrols/{a['patrol']}.gpx").status_code == 200
    assert street.get(f"/api/v1/stats/patrols?{week}&group_by=worker").status_code == 200


def test_a_department_sees_only_the_photos_of_cases_dispatched_to_it(world):
    users, a, _b, _far = world
    department, worker, street = users["department"], users["worker"], users["street_reviewer"]
    assert department.get(f"/api/v1/photos/{a['photo']}").status_code == 200  # its own case's photo
    other_photo = upload_photo(worker, jpeg((10, 120, 240))).get_json()["id"]
    other = _report(worker, POINT_A, other_photo)
    assert street.post(f"/api/v1/incidents/{other}/actions", json={"action": "accept"}).status_code == 200
    # Same street, same grid, not dispatched to the department: neither the case nor its photo.
    assert_error_shape(department.get(f"/api/v1/incidents/{other}"), 404)
    assert_error_shape(department.get(f"/api/v1/photos/{other_photo}"), 403)
    assert_error_shape(department.get(f"/api/v1/photos/{other_photo}?size=thumb"), 403)
    huanwei = [d["id"] for d in street.get("/api/v1/incidents/departments").get_json() if d["code"] == "huanwei"][0]
    dispatch = {"action": "dispatch", "department_id": huanwei}
    assert street.post(f"/api/v1/incidents/{other}/actions", json=dispatch).status_code == 200
    assert_error_shape(department.get(f"/api/v1/photos/{other_photo}"), 403)  # another department's case


def test_a_street_cannot_bind_or_default_to_another_streets_department(world):
    users, _a, b, far = world
    far_street, admin = far["street_reviewer"], users["admin"]
    dept_a = department_id_of(users["department"])
    account = {"password": DEMO_PASSWORD, "full_name": "越权", "role": "department", "area_code": STREET_B}
    for department_id in (dept_a, 999999):
        body = {**account, "username": f"x{uuid.uuid4().hex[:8]}", "department_id": department_id}
        refused = assert_error_shape(far_street.post("/api/v1/users", json=body), 422)
        assert "department_id" in refused["errors"]
    missing = assert_error_shape(far_street.post("/api/v1/users", json={**account, "username": "nodept"}), 422)
    assert "department_id" in missing["errors"]
    # Street A's own department cannot be handed to a street-A account by street B either.
    body = {**account, "username": "cross", "department_id": dept_a, "area_code": "330106010"}
    assert far_street.post("/api/v1/users", json=body).status_code in (403, 422)
    # A category's default department must exist.
    category = admin.get("/api/v1/incidents/categories").get_json()[0]["id"]
    refused = admin.patch(f"/api/v1/incidents/categories/{category}", json={"department_code": "no-such-dept"})
    assert "department_code" in assert_error_shape(refused, 422)["errors"]
    created = admin.post(
        "/api/v1/incidents/categories", json={"code": "987654", "name": "x", "department_code": "nope"}
    )
    assert "department_code" in assert_error_shape(created, 422)["errors"]
    assert (
        admin.patch(f"/api/v1/incidents/categories/{category}", json={"department_code": "huanwei"}).status_code == 200
    )
    # The departments a street lists are its own and the city-wide ones.
    listed = {d["street_id"] for d in far_street.get("/api/v1/incidents/departments").get_json()}
    assert listed <= {b["area"], None}


def test_dispatch_to_another_streets_department_is_refused(world):
    users, _a, _b, far = world
    far_street = far["street_reviewer"]
    dept_a = department_id_of(users["department"])
    case = _report(far["worker"], (120.1630, 30.2830))
    assert far_street.post(f"/api/v1/incidents/{case}/actions", json={"action": "accept"}).status_code == 200
    for department_id in (dept_a, 999999):
        answer = far_street.post(
            f"/api/v1/incidents/{case}/actions", json={"action": "dispatch", "department_id": department_id}
        )
        assert "department_id" in assert_error_shape(answer, 422)["errors"]
    assert users["department"].get(f"/api/v1/incidents/{case}").status_code == 404


def test_city_wide_departments_are_the_admins_and_each_street_sees_only_its_own_cases(world, login):
    users, _a, _b, far = world
    admin, street, far_street = users["admin"], users["street_reviewer"], far["street_reviewer"]
    body = {"code": "shuiwu", "name": "市水务集团"}
    assert_error_shape(street.post("/api/v1/incidents/departments", json={**body, "city_wide": True}), 403)
    assert "street_code" in assert_error_shape(admin.post("/api/v1/incidents/departments", json=body), 422)["errors"]
    city = admin.post("/api/v1/incidents/departments", json={**body, "city_wide": True})
    assert city.status_code == 201 and city.get_json()["street_id"] is None
    assert_error_shape(admin.post("/api/v1/incidents/departments", json={**body, "city_wide": True}), 409)
    city_id = city.get_json()["id"]
    # Each street binds its own handler to the city-wide department and dispatches its cases to it.
    for reviewer, area, name in ((street, "330106010", "water-a"), (far_street, STREET_B, "water-b")):
        account = {"username": name, "password": DEMO_PASSWORD, "full_name": "水务", "role": "department"}
        created = reviewer.post("/api/v1/users", json={**account, "area_code": area, "department_id": city_id})
        assert created.status_code == 201, created.get_json()
    case_a = _report(users["worker"], POINT_A)
    case_b = _report(far["worker"], (120.1630, 30.2830))
    for reviewer, case in ((street, case_a), (far_street, case_b)):
        assert reviewer.post(f"/api/v1/incidents/{case}/actions", json={"action": "accept"}).status_code == 200
        dispatch = {"action": "dispatch", "department_id": city_id}
        assert reviewer.post(f"/api/v1/incidents/{case}/actions", json=dispatch).status_code == 200
    water_a = login("water-a")
    seen = {i["id"] for i in water_a.get("/api/v1/incidents?limit=200").get_json()["items"]}
    assert seen == {case_a}
    assert_error_shape(water_a.get(f"/api/v1/incidents/{case_b}"), 404)
    assert_error_shape(water_a.post(f"/api/v1/incidents/{case_b}/actions", json={"action": "start"}), 404)
    assert water_a.post(f"/api/v1/incidents/{case_a}/actions", json={"action": "start"}).status_code == 200
    assert GRID_B not in water_a.get("/api/v1/incidents?limit=200").get_data(as_text=True)
