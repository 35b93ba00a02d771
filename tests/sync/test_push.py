"""POST /api/v1/sync/push: per-operation answers, replays, refusals that leave the rest applied."""

import uuid

import pytest
from marshmallow import Schema, fields, validate
from sqlalchemy import func, select

from patrol.audit import service as audit
from patrol.audit.models import AuditEntry
from patrol.errors import Forbidden
from patrol.extensions import db
from patrol.sync import registry
from patrol.sync.models import SyncOperation
from tests.conftest import assert_error_shape


class NoteIn(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=50))


def write_note(user, payload):
    """A stand-in feature operation over a real table (the audit log): validates, writes, commits."""
    body = NoteIn().load(payload)
    if body["text"] == "forbidden":
        raise Forbidden("不允许 / not allowed", {"text": ["forbidden"]})
    if body["text"] == "crash":
        raise RuntimeError("bug")
    entry = audit.record(user, "test.note", "note", None, None, {"text": body["text"]})
    db.session.commit()
    return True, {"id": entry.id, "text": body["text"], "at": entry.created_at}


@pytest.fixture
def notes(monkeypatch):
    monkeypatch.setattr(registry, "operations", lambda: {"test.note": write_note})


def op(name="test.note", **payload):
    return {"op_id": str(uuid.uuid4()), "op": name, "payload": payload}


def note_count():
    return db.session.execute(select(func.count()).where(AuditEntry.action == "test.note")).scalar_one()


def test_push_needs_a_token(client):
    assert_error_shape(client.post("/api/v1/sync/push", json={"operations": [op(text="a")]}), 401)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"operations": []},
        {"operations": [op(text="a")], "extra": 1},
        {"operations": [{"op_id": "not-a-uuid", "op": "test.note", "payload": {}}]},
        {"operations": [{"op_id": str(uuid.uuid4()), "op": "test.note", "payload": [1]}]},
        {"operations": [{**op(text="a"), "more": True}]},
        {"operations": "nope"},
        {"operations": [op(text=str(n)) for n in range(101)]},
    ],
)
def test_malformed_batches_are_refused_whole(demo, login, notes, body):
    worker = login("demo-worker")
    assert_error_shape(worker.post("/api/v1/sync/push", json=body), 422)
    assert note_count() == 0


def test_malformed_json_is_refused(demo, login):
    worker = login("demo-worker")
    response = worker.post("/api/v1/sync/push", data="{not json", headers={"Content-Type": "application/json"})
    assert_error_shape(response, 400)


def test_each_operation_is_answered_and_a_refusal_leaves_the_others(demo, login, notes):
    worker = login("demo-worker")
    batch = [op(text="one"), op(text=""), op(text="forbidden"), op("no.such", x=1), op(text="crash"), op(text="two")]
    response = worker.post("/api/v1/sync/push", json={"operations": batch})
    assert response.status_code == 200, response.get_json()
    results = response.get_json()["results"]
    assert [r["op_id"] for r in results] == [item["op_id"] for item in batch]
    assert [r["status"] for r in results] == ["applied", "rejected", "rejected", "rejected", "rejected", "applied"]
    assert results[0]["result"]["text"] == "one"
    assert results[1]["http_status"] == 422 and "text" in results[1]["errors"]
    assert results[2]["http_status"] == 403 and results[2]["message"].startswith("不允许")
    assert results[3]["http_status"] == 422 and "no.such" in results[3]["message"]
    assert results[4]["http_status"] == 500
    assert note_count() == 2


def test_a_replayed_batch_changes_nothing_and_returns_the_original_results(demo, login, notes):
    worker = login("demo-worker")
    batch = {"operations": [op(text="one"), op(text="two")]}
    first = worker.post("/api/v1/sync/push", json=batch).get_json()["results"]
    again = worker.post("/api/v1/sync/push", json=batch).get_json()["results"]
    assert [r["status"] for r in again] == ["duplicate", "duplicate"]
    assert [r["result"] for r in again] == [r["result"] for r in first]
    assert note_count() == 2
    assert db.session.execute(select(func.count()).select_from(SyncOperation)).scalar_one() == 2


def test_a_rejected_operation_can_be_fixed_and_resent_under_the_same_id(demo, login, notes):
    worker = login("demo-worker")
    item = op(text="")
    assert worker.post("/api/v1/sync/push", json={"operations": [item]}).get_json()["results"][0]["status"] == (
        "rejected"
    )
    item["payload"]["text"] = "fixed"
    assert worker.post("/api/v1/sync/push", json={"operations": [item]}).get_json()["results"][0]["status"] == (
        "applied"
    )
    assert note_count() == 1


def test_an_operation_id_cannot_be_replayed_by_another_user(demo, login, notes):
    item = op(text="mine")
    assert login("demo-worker").post("/api/v1/sync/push", json={"operations": [item]}).status_code == 200
    result = login("demo-worker2").post("/api/v1/sync/push", json={"operations": [item]}).get_json()["results"][0]
    assert result["status"] == "rejected" and result["http_status"] == 409 and result["code"] == "sync.op_id_taken"
    assert "result" not in result
    assert note_count() == 1


def test_operations_are_discovered_from_the_features():
    ops = registry.operations()
    assert all(callable(fn) for fn in ops.values())
    modules = [module.__name__ for module in registry.sync_modules()]
    assert all(name.startswith("patrol.") and name.endswith(".sync_ops") for name in modules)
    assert registry.pull_functions() and all(callable(fn) for fn in registry.pull_functions())
