"""Batch ingest through the API: flags as the one-statement insert sets them, duplicates, races, partitions."""

import threading
from datetime import UTC, datetime, timedelta

import numpy as np
import psycopg
from sqlalchemy import text

from patrol.extensions import db
from patrol.geo import from_db
from patrol.patrols import ingest
from tests.conftest import ApiClient, assert_error_shape
from tests.patrols.helpers import AM, local_time, start_body, walk


def _start(worker, grid, started_at=None):
    body = start_body(grid.id, started_at or local_time(1, AM))
    assert worker.post("/api/v1/patrols", json=body).status_code == 201
    return body["id"]


def _post(worker, patrol_id, rows):
    response = worker.post(f"/api/v1/patrols/{patrol_id}/points", json={"points": rows})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _stored(patrol_id):
    db.session.rollback()  # the requests share this session in tests; a refused one leaves it aborted
    rows = db.session.execute(
        text(
            "SELECT (extract(epoch FROM fix_time) * 1000)::int8, ST_X(geom), ST_Y(geom), accuracy, speed, heading, "
            "flag, district_code FROM track_point WHERE patrol_id = :id ORDER BY fix_time"
        ),
        {"id": patrol_id},
    ).all()
    db.session.commit()
    return [tuple(row) for row in rows]


def _without_copy(monkeypatch):
    """Make the COPY path fail as if something unexpected happened, so the one-statement insert runs."""

    def refuse(*args, **kwargs):
        raise psycopg.errors.DataError("forced for the test")

    monkeypatch.setattr(ingest, "copy_rows", refuse)


def _crafted(grid):
    rows = walk(grid, local_time(1, AM), minutes=20)
    east = from_db(grid.geom).bounds[2]
    rows[50][3] = 80.0  # poor accuracy
    rows[60][3] = None  # unknown accuracy, speed and heading
    rows[60][4] = None
    rows[61][5] = 90.0
    rows[100] = [rows[100][0], rows[100][1] + 0.004, rows[100][2], 5.0, None, None]  # a spike there and back
    for n in (150, 151):  # far outside, standing still there: not a spike at 151
        rows[n] = [rows[n][0], east + 0.02, rows[n][2], 5.0, 0.0, None]
    rows[200][3] = 50.000001  # as float4 this is 50.0, which is not worse than the 50 m limit
    return rows


def test_flags_and_values_equal_the_one_statement_insert(worker, grid, monkeypatch):
    rows = _crafted(grid)
    fast = _start(worker, grid)
    answer = _post(worker, fast, rows)
    with monkeypatch.context() as patch:
        _without_copy(patch)
        slow = _start(worker, grid, local_time(1, AM) + timedelta(seconds=1))
        assert _post(worker, slow, rows) == answer
    stored = _stored(fast)
    assert stored == _stored(slow)
    flags = {n: row[6] for n, row in enumerate(stored) if row[6]}
    assert flags[50] == 1 and flags[100] & 2 and flags[150] == 4 and flags[151] == 4
    assert flags.get(149, 0) & 2 == 0 and flags.get(152, 0) & 2 == 0 and 200 not in flags
    assert answer == {"received": len(rows), "stored": len(rows), "duplicates": 0, "flagged": len(flags)}
    assert stored[60][3:6] == (None, None, None) and stored[61][5] == 90.0
    assert [row[0] for row in stored] == [row[0] for row in rows]


def test_duplicates_within_and_across_batches_are_counted(worker, grid):
    rows = walk(grid, local_time(1, AM), minutes=10)  # 120 fixes
    patrol = _start(worker, grid)
    moved = [[row[0], row[1] + 1e-5, *row[2:]] for row in rows[:20]]  # same fix times, other positions
    first = _post(worker, patrol, rows[:100] + rows[10:30] + moved)
    assert first == {"received": 140, "stored": 100, "duplicates": 40, "flagged": 0}
    second = _post(worker, patrol, rows[50:] + rows[110:])
    assert second == {"received": 80, "stored": 20, "duplicates": 60, "flagged": 0}
    assert _post(worker, patrol, rows)["duplicates"] == 120
    stored = _stored(patrol)
    assert [row[:3] for row in stored] == [tuple(row[:3]) for row in rows]  # the first fix of each time is kept


def test_concurrent_overlapping_batches_store_each_fix_once(app, worker, grid):
    rows = walk(grid, local_time(1, AM), minutes=60)  # 720 fixes
    patrol = _start(worker, grid)
    parts = [rows[:480], rows[240:]]
    answers, barrier = [], threading.Barrier(2)

    def send(part):
        client = ApiClient(app.test_client(), worker.headers["Authorization"].split()[1])
        barrier.wait()
        for n in range(0, len(part), 120):
            answers.append(_post(client, patrol, part[n : n + 120]))

    threads = [threading.Thread(target=send, args=(part,)) for part in parts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 8
    assert sum(a["stored"] for a in answers) == 720 and sum(a["duplicates"] for a in answers) == 240
    assert len(_stored(patrol)) == 720


def test_a_batch_spanning_two_months_lands_in_both_partitions(worker, grid):
    now = datetime.now(UTC)
    boundary = datetime(now.year, now.month, 1, tzinfo=UTC)
    before = boundary - timedelta(minutes=1)
    patrol = _start(worker, grid, started_at=before - timedelta(minutes=5))
    rows = walk(grid, before - timedelta(minutes=5), minutes=10)
    assert _post(worker, patrol, rows)["stored"] == len(rows)
    names = [f"track_point_y{m.year:04d}m{m.month:02d}" for m in (before, boundary)]
    counts = [db.session.execute(text(f"SELECT count(*) FROM {name}")).scalar() for name in names]
    default = db.session.execute(text("SELECT count(*) FROM track_point_default")).scalar()
    db.session.commit()
    cut = int(boundary.timestamp() * 1000)
    assert counts == [sum(r[0] < cut for r in rows), sum(r[0] >= cut for r in rows)] and default == 0
    assert min(counts) > 0


def test_a_writer_without_the_lock_makes_the_fallback_skip_duplicates(worker, grid, monkeypatch):
    rows = walk(grid, local_time(1, AM), minutes=10)
    patrol = _start(worker, grid)
    _post(worker, patrol, rows[:60])
    monkeypatch.setattr(ingest, "_read_existing", lambda cursor, patrol_id, us: np.array([], np.int64))
    answer = _post(worker, patrol, rows[30:90])  # COPY meets a unique violation, the insert skips the 30 stored
    assert answer == {"received": 60, "stored": 30, "duplicates": 30, "flagged": 0}
    assert len(_stored(patrol)) == 90


def test_a_value_float4_cannot_hold_is_refused_whole(worker, grid):
    rows = walk(grid, local_time(1, AM), minutes=2)
    rows[5][4] = 1e39
    patrol = _start(worker, grid)
    assert_error_shape(worker.post(f"/api/v1/patrols/{patrol}/points", json={"points": rows}), 422)
    assert _stored(patrol) == []
