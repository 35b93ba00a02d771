"""Reporting: idempotent client ids, grid from location, scope, on-the-spot handling, bad input."""

import uuid

from sqlalchemy import func, select

from patrol.extensions import db
from patrol.incidents.models import Incident, IncidentEvent
from tests.conftest import assert_error_shape
from tests.incidents.helpers import point_in, report_body


def incident_count():
    return db.session.execute(select(func.count()).select_from(Incident)).scalar()


def test_report_finds_the_grid_and_a_replay_returns_the_original(worker):
    body = report_body("330106010001001", source="patrol", patrol_id=str(uuid.uuid4()))
    first = worker.post("/api/v1/incidents", json=body)
    assert first.status_code == 201, first.get_json()
    created = first.get_json()
    assert created["grid"]["code"] == "330106010001001"
    assert created["status"] == "reported" and created["source"] == "patrol"
    assert created["category"] == {"code": "0602", "name": "占道经营", "parent_code": "06", "parent_name": "违章搭建"}
    assert created["possible_duplicates"] == []
    assert first.headers["ETag"]
    replay = worker.post("/api/v1/incidents", json={**body, "description": "changed on retry"})
    assert replay.status_code == 200
    assert replay.get_json()["id"] == created["id"]
    assert replay.get_json()["description"] == created["description"]
    assert incident_count() == 1


def test_same_id_from_another_user_conflicts(worker, login):
    body = report_body()
    assert worker.post("/api/v1/incidents", json=body).status_code == 201
    assert_error_shape(login("demo-street").post("/api/v1/incidents", json=body), 409)


def test_point_just_outside_a_grid_boundary_takes_the_nearest_grid(worker):
    # The demo street's west edge is at lon 120.1200; 20 m west of it is still grid 001.
    body = report_body(location={"type": "Point", "coordinates": [120.11980, 30.2820]})
    response = worker.post("/api/v1/incidents", json=body)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["grid"]["code"] == "330106010001001"


def test_location_far_from_any_grid_is_refused(worker):
    body = report_body(location={"type": "Point", "coordinates": [120.30, 30.40]})
    error = assert_error_shape(worker.post("/api/v1/incidents", json=body), 422)
    assert "location" in error["errors"]
    assert incident_count() == 0


def test_location_outside_the_callers_area_is_refused_clearly(departments, login):
    community_admin = login("demo-community")  # community 330106010001
    body = report_body("330106010003001")
    assert_error_shape(community_admin.post("/api/v1/incidents", json=body), 403, "incident.location_outside_area")
    worker = login("demo-worker")  # a worker may report anywhere in their street
    assert worker.post("/api/v1/incidents", json=report_body("330106010003001")).status_code == 201


def test_handled_on_the_spot_closes_at_once_and_needs_a_note(worker):
    missing_note = report_body(category="0402", handled_on_spot=True)
    assert_error_shape(worker.post("/api/v1/incidents", json=missing_note), 422)
    response = worker.post("/api/v1/incidents", json={**missing_note, "note": "已当场清理"})
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "closed" and body["handled_on_spot"] and body["closed_at"]
    assert body["history"][0]["to_status"] == "closed"
    listed = worker.get("/api/v1/incidents?handled_on_spot=true").get_json()["items"]
    assert [i["id"] for i in listed] == [body["id"]]


def test_possible_duplicates_same_category_within_100_m(worker, login):
    first = worker.post("/api/v1/incidents", json=report_body()).get_json()
    other_category = worker.post("/api/v1/incidents", json=report_body(category="0401")).get_json()
    near = report_body()
    near["location"] = point_in("330106010001001", dx=0.0005)  # ~48 m east
    answer = worker.post("/api/v1/incidents", json=near).get_json()
    assert [d["id"] for d in answer["possible_duplicates"]] == [first["id"]]
    assert 30 < answer["possible_duplicates"][0]["distance_m"] < 70
    far = report_body()
    far["location"] = point_in("330106010001001", dy=0.0015)  # ~167 m north
    assert worker.post("/api/v1/incidents", json=far).get_json()["possible_duplicates"] == []
    assert other_category["possible_duplicates"] == []


def test_bad_input_answers_4xx_and_stores_nothing(worker):
    good = report_body()
    cases = [
        {**good, "location": {"type": "Point", "coordinates": [float("nan"), 30.28]}},
        {**good, "location": {"type": "Point", "coordinates": [200, 30.28]}},
        {**good, "location": {"type": "Point", "coordinates": [2.35, 48.85]}},  # Paris
        {**good, "location": {"type": "LineString", "coordinates": [[120.12, 30.28], [120.13, 30.29]]}},
        {**good, "category": "06"},  # a top-level category
        {**good, "category": "7777"},
        {**good, "description": "x" * 2001},
        {**good, "source": "rumour"},
        {**good, "id": "not-a-uuid"},
        {**good, "surprise": True},
        {**good, "photo_ids": ["f" * 64] * 10},
        {**good, "reported_at": "2020-01-01T00:00:00+08:00"},
        {**good, "reported_at": "2099-01-01T00:00:00+08:00"},
        {**good, "reported_at": "2026-01-01T00:00:00"},
        {k: v for k, v in good.items() if k != "location"},
    ]
    for body in cases:
        response = worker.post("/api/v1/incidents", json=body)
        assert_error_shape(response, 422)
    assert_error_shape(worker.post("/api/v1/incidents", data="[1,", content_type="application/json"), 400)
    assert_error_shape(worker.post("/api/v1/incidents", json=[1, 2]), 422)
    assert incident_count() == 0
    assert db.session.execute(select(func.count()).select_from(IncidentEvent)).scalar() == 0


def test_department_users_cannot_report(chengguan):
    assert_error_shape(chengguan.post("/api/v1/incidents", json=report_body()), 403)


def test_unauthenticated_is_401(client, departments):
    assert_error_shape(client.post("/api/v1/incidents", json=report_body()), 401)
    assert_error_shape(client.get("/api/v1/incidents"), 401)


def test_worker_sees_own_grid_and_own_reports_only(worker, login):
    mine = worker.post("/api/v1/incidents", json=report_body()).get_json()
    elsewhere = worker.post("/api/v1/incidents", json=report_body("330106010002001")).get_json()
    neighbour = login("demo-worker5")  # holds 330106010002001
    theirs = neighbour.post("/api/v1/incidents", json=report_body("330106010002001")).get_json()
    seen = {i["id"] for i in worker.get("/api/v1/incidents").get_json()["items"]}
    assert seen == {mine["id"], elsewhere["id"]}
    assert_error_shape(worker.get(f"/api/v1/incidents/{theirs['id']}"), 404)
    seen_by_neighbour = {i["id"] for i in neighbour.get("/api/v1/incidents").get_json()["items"]}
    assert seen_by_neighbour == {elsewhere["id"], theirs["id"]}
    community = login("demo-community")
    assert {i["id"] for i in community.get("/api/v1/incidents").get_json()["items"]} == {mine["id"]}


def test_duplicates_only_show_cases_the_caller_may_see(departments, login):
    body = report_body("330106010001001")
    first = login("demo-worker5").post("/api/v1/incidents", json=body).get_json()
    stranger = login("demo-worker9").post("/api/v1/incidents", json={**body, "id": str(uuid.uuid4())})
    assert stranger.status_code == 201 and stranger.get_json()["possible_duplicates"] == []
    holder = login("demo-worker").post("/api/v1/incidents", json={**body, "id": str(uuid.uuid4())}).get_json()
    assert {d["id"] for d in holder["possible_duplicates"]} == {first["id"], stranger.get_json()["id"]}
