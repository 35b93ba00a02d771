"""The offline sync contract: patrol.start / patrol.points / patrol.finish and pull."""

import pytest
from marshmallow import ValidationError

from patrol.errors import DomainError
from patrol.patrols import sync_ops
from tests.patrols.helpers import AM, end_of, local_time, start_body, walk


def test_operations_are_idempotent_and_pull_returns_them(demo):
    worker, grid = demo["workers"][0]
    body = start_body(grid.id, local_time(1, AM))
    rows = walk(grid, local_time(1, AM), minutes=30)
    start = sync_ops.OPERATIONS["patrol.start"]
    points = sync_ops.OPERATIONS["patrol.points"]
    finish = sync_ops.OPERATIONS["patrol.finish"]
    created, first = start(worker, body)
    assert created is True
    assert start(worker, body) == (False, first)
    assert points(worker, {"patrol_id": body["id"], "points": rows})[0] is True
    assert points(worker, {"patrol_id": body["id"], "points": rows}) == (
        False,
        {"received": len(rows), "stored": 0, "duplicates": len(rows), "flagged": 0},
    )
    done, result = finish(worker, {"patrol_id": body["id"], "ended_at": end_of(rows).isoformat()})
    assert done is True and result["properties"]["valid"] is True
    again = finish(worker, {"patrol_id": body["id"], "ended_at": end_of(rows).isoformat()})
    assert again == (False, result)
    pulled = sync_ops.pull(worker, None)
    assert [p["id"] for p in pulled["patrols"]] == [body["id"]]
    assert pulled["patrol_rules"][0]["grid_id"] == grid.id and pulled["patrol_rules"][0]["am_start"] == "06:00:00"
    assert sync_ops.pull(worker, __import__("patrol.localtime").localtime.utcnow()) == {
        "patrols": [],
        "patrol_rules": [],
    }


@pytest.mark.parametrize(
    "op, payload",
    [
        ("patrol.start", {"id": "nope", "grid_id": 1, "started_at": "2026-01-01T08:00:00+08:00"}),
        ("patrol.points", {"points": [[1, 2, 3, 4, None, None]]}),
        ("patrol.points", {"patrol_id": "00000000-0000-0000-0000-000000000000", "points": [[1, 2]]}),
        ("patrol.finish", {"patrol_id": "00000000-0000-0000-0000-000000000000", "ended_at": "2026-01-01"}),
        ("patrol.finish", {"patrol_id": "00000000-0000-0000-0000-000000000000", "ended_at": "2026-01-01T10:00:00Z"}),
    ],
)
def test_bad_operations_are_rejected(demo, op, payload):
    worker, _ = demo["workers"][0]
    with pytest.raises((ValidationError, DomainError)):
        sync_ops.OPERATIONS[op](worker, payload)
