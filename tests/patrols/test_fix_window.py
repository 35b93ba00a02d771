"""Fix times outside the accepted window are refused before any partition is created (issue 14 item 8)."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from patrol.extensions import db
from patrol.patrols import partitions
from tests.conftest import assert_error_shape
from tests.patrols.helpers import AM, local_time, new_id, walk


def _partitions():
    names = db.session.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'track_point'::regclass"
        )
    ).scalars()
    db.session.commit()
    return set(names)


def _ms(moment):
    return int(moment.timestamp() * 1000)


def test_an_unauthenticated_osmand_fix_dated_2002_creates_no_partition(client):
    partitions.forget_known()
    before = _partitions()
    for stamp in ("1017619200", "1017619200000", "2002-04-01T08:00:00Z"):
        response = client.get(f"/api/v1/osmand?id=nobody&lat=30.28&lon=120.12&timestamp={stamp}")
        assert_error_shape(response, 400)
    response = client.post(
        "/api/v1/osmand",
        json={
            "device_id": "nobody",
            "location": {"timestamp": "2002-04-01T08:00:00.000Z", "coords": {"latitude": 30.28, "longitude": 120.12}},
        },
    )
    assert_error_shape(response, 400)
    assert _partitions() == before
    assert "track_point_y2002m04" not in before


def test_a_fix_from_the_near_future_is_refused_everywhere(client, worker, grid):
    ahead = datetime.now(UTC) + timedelta(hours=1)
    assert_error_shape(client.get(f"/api/v1/osmand?id=x&lat=30.28&lon=120.12&timestamp={_ms(ahead)}"), 400)
    patrol_id = new_id()
    start = local_time(1, AM)
    assert (
        worker.post(
            "/api/v1/patrols", json={"id": patrol_id, "grid_id": grid.id, "started_at": start.isoformat()}
        ).status_code
        == 201
    )
    rows = walk(grid, start, minutes=1)
    rows[-1][0] = _ms(ahead)
    body = assert_error_shape(worker.post(f"/api/v1/patrols/{patrol_id}/points", json={"points": rows}), 422)
    assert "points" in body["errors"]
    assert db.session.execute(text("SELECT count(*) FROM track_point")).scalar() == 0
    db.session.commit()


def test_a_batch_reaching_back_years_creates_no_partition(worker, grid):
    partitions.forget_known()
    before = _partitions()
    patrol_id = new_id()
    start = local_time(1, AM)
    worker.post("/api/v1/patrols", json={"id": patrol_id, "grid_id": grid.id, "started_at": start.isoformat()})
    rows = walk(grid, start, minutes=1)
    rows[0][0] = _ms(datetime(2002, 4, 1, tzinfo=UTC))
    assert_error_shape(worker.post(f"/api/v1/patrols/{patrol_id}/points", json={"points": rows}), 422)
    assert _partitions() == before
