"""Sync through the real features: a day's work pushed twice is stored once; the pull carries it back."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from patrol.extensions import db
from patrol.sync import registry
from tests.incidents.helpers import setup_departments
from tests.people.helpers import GRID_1, person_body

TABLES = ("patrol", "track_point", "incident", "visit")


def counts():
    return {table: db.session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() for table in TABLES}


@pytest.fixture
def field_day(demo, login):
    """Categories, departments and one person in demo-worker's grid."""
    setup_departments()
    created = login("demo-community").post("/api/v1/people", json=person_body(1, GRID_1))
    assert created.status_code == 201, created.get_json()
    return {
        "person_id": created.get_json()["id"],
        "grid_id": demo["workers"][0][1].id,
        "other_grid": demo["workers"][1][1].id,
    }


def op(name, payload):
    return {"op_id": str(uuid.uuid4()), "op": name, "payload": payload}


def day_of_work(grid_id, person_id):
    patrol_id = str(uuid.uuid4())
    start = datetime.now(UTC) - timedelta(minutes=30)
    ms = int(start.timestamp() * 1000)
    points = [[ms + n * 10_000, GRID_1[0] + n * 0.0001, GRID_1[1], 8.0, 1.2, None] for n in range(3)]
    return [
        op("patrol.start", {"id": patrol_id, "grid_id": grid_id, "started_at": start.isoformat()}),
        op("patrol.points", {"patrol_id": patrol_id, "points": points}),
        op("patrol.finish", {"patrol_id": patrol_id, "ended_at": (start + timedelta(minutes=25)).isoformat()}),
        op(
            "incident.report",
            {
                "id": str(uuid.uuid4()),
                "category": "0201",
                "location": {"type": "Point", "coordinates": list(GRID_1)},
                "description": "楼道堆放杂物堵塞通道",
                "patrol_id": patrol_id,
            },
        ),
        op(
            "visit.log",
            {
                "id": str(uuid.uuid4()),
                "person_id": person_id,
                "visited_at": (start + timedelta(minutes=10)).isoformat(),
                "method": "入户",
                "condition": "正常",
                "note": "身体状况良好",
            },
        ),
    ]


def test_the_phones_operations_are_all_offered():
    assert {"patrol.start", "patrol.points", "patrol.finish", "incident.report", "visit.log"} <= set(
        registry.operations()
    )


def test_a_days_work_pushed_twice_is_stored_once(field_day, login):
    worker = login("demo-worker")
    batch = {"operations": day_of_work(field_day["grid_id"], field_day["person_id"])}
    first = worker.post("/api/v1/sync/push", json=batch)
    assert first.status_code == 200
    results = first.get_json()["results"]
    assert [r["status"] for r in results] == ["applied"] * 5, results
    assert counts() == {"patrol": 1, "track_point": 3, "incident": 1, "visit": 1}

    again = worker.post("/api/v1/sync/push", json=batch).get_json()["results"]
    assert [r["status"] for r in again] == ["duplicate"] * 5
    assert [r["result"] for r in again] == [r["result"] for r in results]
    assert counts() == {"patrol": 1, "track_point": 3, "incident": 1, "visit": 1}


def test_the_same_records_under_new_operation_ids_are_still_stored_once(field_day, login):
    """A phone that lost its op ids (reinstalled) resends: the features' own idempotency holds."""
    worker = login("demo-worker")
    batch = day_of_work(field_day["grid_id"], field_day["person_id"])
    worker.post("/api/v1/sync/push", json={"operations": batch})
    renamed = [{**item, "op_id": str(uuid.uuid4())} for item in batch]
    results = worker.post("/api/v1/sync/push", json={"operations": renamed}).get_json()["results"]
    assert all(r["status"] in ("duplicate", "applied") for r in results), results
    assert counts() == {"patrol": 1, "track_point": 3, "incident": 1, "visit": 1}


def test_features_refusals_come_back_per_operation(field_day, login):
    worker = login("demo-worker")
    other_grid = field_day["other_grid"]
    batch = day_of_work(field_day["grid_id"], field_day["person_id"])
    batch[3]["payload"]["category"] = "9999"
    batch.insert(0, op("patrol.start", {"id": str(uuid.uuid4()), "grid_id": other_grid, "started_at": "2026-01-01"}))
    batch.append(op("patrol.start", {"id": str(uuid.uuid4()), "grid_id": other_grid, "started_at": "nonsense"}))
    results = worker.post("/api/v1/sync/push", json={"operations": batch}).get_json()["results"]
    statuses = [r["status"] for r in results]
    assert statuses == ["rejected", "applied", "applied", "applied", "rejected", "applied", "rejected"], results
    assert results[4]["http_status"] in (404, 422) and results[4]["message"]
    assert results[6]["http_status"] == 422 and "started_at" in results[6]["errors"]
    assert counts() == {"patrol": 1, "track_point": 3, "incident": 0, "visit": 1}


def test_the_pull_brings_back_the_workers_records(field_day, login):
    worker = login("demo-worker")
    worker.post("/api/v1/sync/push", json={"operations": day_of_work(field_day["grid_id"], field_day["person_id"])})
    body = worker.get("/api/v1/sync/pull").get_json()
    records = body["records"]
    assert len(records["patrols"]) == 1 and records["patrols"][0]["properties"]["ended_at"]
    assert [i["description"] for i in records["incidents"]] == ["楼道堆放杂物堵塞通道"]
    assert [p["id"] for p in records["people"]] == [field_day["person_id"]]
    assert "*" in records["people"][0]["id_number"]
    assert any(c["code"] == "0201" for c in records["incident_categories"])

    later = worker.get("/api/v1/sync/pull", query_string={"since": body["cursor"]}).get_json()["records"]
    # Within the overlap the same records may come again (the phone upserts by id), never others.
    assert {i["id"] for i in later["incidents"]} <= {i["id"] for i in records["incidents"]}
