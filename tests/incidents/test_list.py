"""Listing: filters, overdue flag and keyset pagination; the phone's sync operations."""

import uuid
from datetime import timedelta

import marshmallow
import pytest
from sqlalchemy import select

from patrol.auth.models import User
from patrol.extensions import db
from patrol.incidents import service, sync_ops, workflow
from patrol.localtime import today, utcnow
from tests.conftest import assert_error_shape
from tests.incidents.helpers import point_in, report_body


def user(username):
    return db.session.execute(select(User).where(User.username == username)).scalar_one()


def overdue_case(clock, hours_ago=30):
    """A 0602 case (24 h deadline) dispatched `hours_ago` hours ago."""
    worker, street = user("demo-worker"), user("demo-street")
    clock.now = utcnow() - timedelta(hours=hours_ago + 1)
    data = {"id": uuid.uuid4(), "location": point_in("330106010001001"), "category": "0602"}
    incident_id = service.report_incident(worker, data)[0].id
    workflow.act(street, incident_id, {"action": "accept"})
    clock.now = utcnow() - timedelta(hours=hours_ago)
    workflow.act(street, incident_id, {"action": "dispatch"})
    clock.now = utcnow()
    return str(incident_id)


def test_overdue_flag_and_filter(clock, street, worker):
    late = overdue_case(clock, hours_ago=30)
    fresh = overdue_case(clock, hours_ago=2)
    reported = worker.post("/api/v1/incidents", json=report_body()).get_json()["id"]
    overdue = street.get("/api/v1/incidents?overdue=true").get_json()["items"]
    assert [i["id"] for i in overdue] == [late]
    assert overdue[0]["overdue"] is True
    not_overdue = {i["id"] for i in street.get("/api/v1/incidents?overdue=false").get_json()["items"]}
    assert not_overdue == {fresh, reported}
    dispatched = street.get("/api/v1/incidents?status=dispatched").get_json()["items"]
    assert {i["id"] for i in dispatched} == {late, fresh}


def test_filters(street, worker, departments):
    a = worker.post("/api/v1/incidents", json=report_body(category="0401")).get_json()["id"]
    b = worker.post("/api/v1/incidents", json=report_body("330106010001002", category="0602")).get_json()["id"]
    ids = lambda query: {i["id"] for i in street.get(f"/api/v1/incidents?{query}").get_json()["items"]}  # noqa: E731
    assert ids("category=04") == {a}
    assert ids("category=0602") == {b}
    grid = street.get(f"/api/v1/incidents/{b}").get_json()["grid"]["id"]
    assert ids(f"grid_id={grid}") == {b}
    assert ids("status=reported&status=closed") == {a, b}
    assert ids("status=closed") == set()
    street.post(f"/api/v1/incidents/{a}/actions", json={"action": "accept"})
    street.post(f"/api/v1/incidents/{a}/actions", json={"action": "dispatch"})
    assert ids(f"department_id={departments['huanwei']}") == {a}
    day = today().isoformat()
    assert ids(f"from={day}&to={day}") == {a, b}
    assert ids("from=2000-01-01&to=2000-01-02") == set()
    assert ids("mine=true") == set()
    assert_error_shape(street.get("/api/v1/incidents?status=lost"), 422)
    assert_error_shape(street.get("/api/v1/incidents?limit=0"), 422)
    assert_error_shape(street.get("/api/v1/incidents?cursor=%%%"), 422)
    assert_error_shape(street.get("/api/v1/incidents?overdue=maybe"), 422)


def test_keyset_pagination_walks_every_incident_once(street, worker):
    created = {worker.post("/api/v1/incidents", json=report_body()).get_json()["id"] for _ in range(7)}
    seen, cursor, pages = [], None, 0
    while True:
        page = street.get("/api/v1/incidents?limit=3" + (f"&cursor={cursor}" if cursor else "")).get_json()
        seen += [i["id"] for i in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert pages == 3 and len(seen) == 7 and set(seen) == created


def test_sync_report_is_idempotent_and_pull_returns_own_incidents(departments):
    worker = user("demo-worker")
    payload = {**report_body(), "photo_ids": []}
    created, result = sync_ops.OPERATIONS["incident.report"](worker, dict(payload))
    assert created is True and result["status"] == "reported"
    again, replay = sync_ops.OPERATIONS["incident.report"](worker, dict(payload))
    assert again is False and replay["id"] == result["id"]
    pulled = sync_ops.pull(worker, None)
    assert [i["id"] for i in pulled["incidents"]] == [result["id"]]
    assert any(c["code"] == "0602" for c in pulled["incident_categories"])
    later = sync_ops.pull(worker, utcnow() + timedelta(seconds=5))
    assert later == {"incident_categories": [], "incidents": []}
    with pytest.raises(marshmallow.ValidationError):
        sync_ops.OPERATIONS["incident.report"](worker, {**payload, "id": str(uuid.uuid4()), "category": 5})
