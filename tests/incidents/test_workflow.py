"""The closed loop through the HTTP API: every path, forbidden moves, races and stale edits."""

import threading

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from patrol.extensions import db
from patrol.incidents.models import Incident, IncidentEvent
from tests.conftest import assert_error_shape
from tests.incidents.helpers import report_body


def reported(worker, **extra):
    response = worker.post("/api/v1/incidents", json=report_body(**extra))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def act(api, incident_id, action, etag=None, **body):
    headers = {"If-Match": etag} if etag else {}
    return api.post(f"/api/v1/incidents/{incident_id}/actions", json={"action": action, **body}, headers=headers)


def ok(response):
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def history_actions(incident_id, api):
    return [h["action"] for h in ok(api.get(f"/api/v1/incidents/{incident_id}"))["history"]]


def test_full_path_with_rework_and_reopen(worker, street, chengguan, departments):
    incident = reported(worker)
    iid = incident["id"]
    assert incident["status"] == "reported"
    assert ok(act(street, iid, "accept"))["status"] == "accepted"
    dispatched = ok(act(street, iid, "dispatch"))
    assert dispatched["status"] == "dispatched"
    assert dispatched["department"]["id"] == departments["chengguan"]  # category 0602's default
    assert dispatched["due_at"] is not None
    assert ok(act(chengguan, iid, "start"))["status"] == "in_progress"
    assert ok(act(chengguan, iid, "resolve", note="已劝离"))["status"] == "resolved"
    reworked = ok(act(street, iid, "send_back", note="仍有占道"))
    assert reworked["status"] == "dispatched" and reworked["rework_count"] == 1
    assert reworked["due_at"] == dispatched["due_at"]  # rework keeps the deadline
    assert ok(act(chengguan, iid, "resolve", note="已清理"))["status"] == "resolved"
    closed = ok(act(street, iid, "close"))
    assert closed["status"] == "closed" and closed["closed_at"]
    reopened = ok(act(street, iid, "reopen", note="居民再次反映"))
    assert reopened["status"] == "accepted" and reopened["reopen_count"] == 1 and reopened["due_at"] is None
    ok(act(street, iid, "dispatch", department_id=departments["chengguan"]))
    ok(act(chengguan, iid, "resolve", note="彻底整改"))
    final = ok(act(street, iid, "close"))
    assert final["status"] == "closed"
    events = final["history"]
    assert [e["action"] for e in events] == [
        "report",
        "accept",
        "dispatch",
        "start",
        "resolve",
        "send_back",
        "resolve",
        "close",
        "reopen",
        "dispatch",
        "resolve",
        "close",
    ]
    assert [(e["from_status"], e["to_status"]) for e in events[:3]] == [
        (None, "reported"),
        ("reported", "accepted"),
        ("accepted", "dispatched"),
    ]
    assert all(e["actor_id"] and e["at"] for e in events)
    assert events[5]["note"] == "仍有占道"


def test_reject_needs_a_reason(worker, street):
    iid = reported(worker)["id"]
    assert_error_shape(act(street, iid, "reject"), 422)
    rejected = ok(act(street, iid, "reject", note="不属于受理范围"))
    assert rejected["status"] == "rejected"
    assert_error_shape(act(street, iid, "accept"), 409)


def _snapshot(iid):
    db.session.expire_all()
    incident = db.session.get(Incident, iid)
    events = db.session.execute(select(func.count()).where(IncidentEvent.incident_id == iid)).scalar()
    return incident.status, incident.version, incident.department_id, events


def test_forbidden_on_a_reported_case_changes_nothing(worker, street, chengguan):
    iid = reported(worker)["id"]
    before = _snapshot(iid)
    for api, action, status in [
        (worker, "accept", 403),
        (worker, "dispatch", 403),
        (chengguan, "accept", 404),  # not dispatched to them: they cannot even see it
        (street, "start", 403),
        (street, "resolve", 403),
        (street, "close", 409),
        (street, "send_back", 409),
        (street, "reopen", 409),
        (street, "dispatch", 409),
        (street, "merge", 422),  # no target named
    ]:
        assert_error_shape(act(api, iid, action, note="x"), status)
        assert _snapshot(iid) == before, action


def test_forbidden_moves_later_in_the_loop(worker, street, chengguan, huanwei, departments):
    iid = reported(worker)["id"]
    ok(act(street, iid, "accept"))
    ok(act(street, iid, "dispatch"))
    before = _snapshot(iid)
    for api, action, status in [
        (huanwei, "start", 404),  # another department
        (chengguan, "close", 403),  # departments do not verify their own work
        (chengguan, "accept", 403),
        (street, "close", 409),  # not resolved yet
        (street, "accept", 409),
        (worker, "resolve", 403),
    ]:
        assert_error_shape(act(api, iid, action, note="x"), status)
    assert _snapshot(iid) == before
    ok(act(chengguan, iid, "resolve", note="done"))
    assert_error_shape(act(chengguan, iid, "start"), 409)
    ok(act(street, iid, "close"))
    assert_error_shape(act(chengguan, iid, "resolve", note="again"), 409)


def test_unknown_action_and_bad_body(worker, street):
    iid = reported(worker)["id"]
    assert_error_shape(act(street, iid, "teleport"), 422)
    assert_error_shape(street.post(f"/api/v1/incidents/{iid}/actions", json={"action": "accept", "x": 1}), 422)
    assert_error_shape(street.post(f"/api/v1/incidents/{iid}/actions", data="{", content_type="application/json"), 400)
    assert_error_shape(act(street, "00000000-0000-0000-0000-000000000000", "accept"), 404)
    assert_error_shape(act(street, iid, "dispatch", department_id=99999), 409)


def test_dispatch_to_unknown_department_is_refused(worker, street):
    iid = reported(worker)["id"]
    ok(act(street, iid, "accept"))
    before = _snapshot(iid)
    assert_error_shape(act(street, iid, "dispatch", department_id=99999), 422)
    assert _snapshot(iid) == before


def test_stale_if_match_gets_412(worker, street):
    iid = reported(worker)["id"]
    first = street.get(f"/api/v1/incidents/{iid}")
    etag = first.headers["ETag"]
    accepted = act(street, iid, "accept", etag=etag)
    assert accepted.status_code == 200
    assert accepted.headers["ETag"] != etag
    before = _snapshot(iid)
    stale = act(street, iid, "reject", etag=etag, note="重复")
    assert_error_shape(stale, 412)
    assert stale.headers["ETag"] == accepted.headers["ETag"]
    assert _snapshot(iid) == before
    assert act(street, iid, "dispatch", etag=accepted.headers["ETag"]).status_code == 200


def test_two_concurrent_dispatches_leave_exactly_one(app, worker, street, departments):
    iid = reported(worker)["id"]
    ok(act(street, iid, "accept"))
    token = street.headers["Authorization"]
    barrier = threading.Barrier(2)
    results = []

    def dispatch(department):
        client = app.test_client()
        barrier.wait()
        response = client.post(
            f"/api/v1/incidents/{iid}/actions",
            json={"action": "dispatch", "department_id": department},
            headers={"Authorization": token},
        )
        results.append(response.status_code)

    threads = [threading.Thread(target=dispatch, args=(departments[code],)) for code in ("chengguan", "huanwei")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == [200, 409]
    assert history_actions(iid, street).count("dispatch") == 1
    assert _snapshot(iid)[0] == "dispatched"


def test_merge_closes_the_duplicate_and_credits_its_reporter(worker, street, login):
    first = reported(worker)
    second = login("demo-worker").post("/api/v1/incidents", json=report_body())
    duplicate = second.get_json()
    assert [d["id"] for d in duplicate["possible_duplicates"]] == [first["id"]]
    merged = ok(act(street, duplicate["id"], "merge", into_id=first["id"]))
    assert merged["status"] == "closed" and merged["merged_into"] == first["id"]
    target = ok(street.get(f"/api/v1/incidents/{first['id']}"))
    assert target["merged_from"][0]["id"] == duplicate["id"]
    assert target["history"][-1]["action"] == "merge_in"
    assert_error_shape(act(street, duplicate["id"], "reopen", note="x"), 409)
    assert_error_shape(act(street, first["id"], "merge", into_id=first["id"]), 422)


def test_department_sees_only_what_is_dispatched_to_it(worker, street, chengguan, huanwei):
    iid = reported(worker)["id"]
    assert_error_shape(chengguan.get(f"/api/v1/incidents/{iid}"), 404)
    ok(act(street, iid, "accept"))
    ok(act(street, iid, "dispatch"))
    assert ok(chengguan.get(f"/api/v1/incidents/{iid}"))["allowed_actions"] == ["start", "resolve"]
    assert ok(chengguan.get("/api/v1/incidents"))["items"][0]["id"] == iid
    assert ok(huanwei.get("/api/v1/incidents"))["items"] == []


def test_history_is_append_only(worker):
    iid = reported(worker)["id"]
    for statement in ("UPDATE incident_event SET note = 'edited'", "DELETE FROM incident_event"):
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(text(statement + " WHERE incident_id = :id"), {"id": iid})
        db.session.rollback()
    assert _snapshot(iid)[3] == 1
