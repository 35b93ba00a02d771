"""Start, points, finish through the API: idempotency, figures, gaps, quality flags, rejections."""

import random
from datetime import timedelta

import pytest
from geographiclib.geodesic import Geodesic
from shapely.geometry import shape
from sqlalchemy import text

from patrol.extensions import db
from tests.conftest import assert_error_shape
from tests.patrols.helpers import AM, end_of, local_time, new_id, start_body, walk


def _count(sql, **params):
    value = db.session.execute(text(sql), params).scalar()
    db.session.commit()
    return value


def _run(worker, grid, rows, batches=1, started_at=None):
    started_at = started_at or local_time(1, AM)
    body = start_body(grid.id, started_at)
    assert worker.post("/api/v1/patrols", json=body).status_code == 201
    size = -(-len(rows) // batches)
    for n in range(0, len(rows), size):
        response = worker.post(f"/api/v1/patrols/{body['id']}/points", json={"points": rows[n : n + size]})
        assert response.status_code == 200, response.get_json()
    finished = worker.post(f"/api/v1/patrols/{body['id']}/finish", json={"ended_at": end_of(rows).isoformat()})
    assert finished.status_code == 200, finished.get_json()
    return finished.get_json()


def _geodesic_length(rows):
    geod = Geodesic.WGS84
    return sum(geod.Inverse(a[2], a[1], b[2], b[1])["s12"] for a, b in zip(rows, rows[1:], strict=False))


def test_start_replay_returns_the_same_patrol(worker, grid):
    body = start_body(grid.id, local_time(1, AM))
    first = worker.post("/api/v1/patrols", json=body)
    again = worker.post("/api/v1/patrols", json=body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json() == again.get_json()
    assert first.get_json()["properties"]["shift"] == "am"
    assert _count("SELECT count(*) FROM patrol") == 1
    other_grid = {**body, "grid_id": grid.id + 1}
    assert_error_shape(worker.post("/api/v1/patrols", json=other_grid), 409)


def test_worker_only_patrols_own_grids(worker, demo):
    foreign = demo["workers"][1][1]
    assert_error_shape(worker.post("/api/v1/patrols", json=start_body(foreign.id, local_time(1, AM))), 403)
    reviewer_start = start_body(foreign.id, local_time(1, AM))
    assert_error_shape(worker.post("/api/v1/patrols", json={**reviewer_start, "extra": 1}), 422)
    assert _count("SELECT count(*) FROM patrol") == 0


def test_figures_match_an_independent_geodesic_computation(worker, grid):
    rows = walk(grid, local_time(1, AM), minutes=60)
    props = _run(worker, grid, rows, batches=2)["properties"]
    expected = _geodesic_length(rows)
    assert abs(props["distance_m"] - expected) / expected < 0.005, (props["distance_m"], expected)
    assert props["point_count"] == props["clean_count"] == 720
    assert props["duration_s"] == pytest.approx(3595, abs=1)
    assert props["moving_s"] == pytest.approx(3595, abs=1)
    assert props["inside_share"] == 1.0
    assert 0.4 < props["coverage"] < 0.9, props["coverage"]
    assert (props["valid"], props["invalid_reasons"]) == (True, [])


def test_out_of_order_and_duplicate_points_give_the_same_figures(worker, grid):
    rows = walk(grid, local_time(1, AM), minutes=40)
    clean = _run(worker, grid, rows)["properties"]
    messy = rows + random.Random(1).sample(rows, 200)
    random.Random(2).shuffle(messy)
    body = start_body(grid.id, local_time(1, AM) + timedelta(seconds=1))
    worker.post("/api/v1/patrols", json=body)
    answers = [
        worker.post(f"/api/v1/patrols/{body['id']}/points", json={"points": messy[n : n + 150]}).get_json()
        for n in range(0, len(messy), 150)
    ]
    replay = worker.post(f"/api/v1/patrols/{body['id']}/points", json={"points": messy[:150]}).get_json()
    assert sum(a["stored"] for a in answers) == len(rows)
    assert sum(a["duplicates"] for a in answers) == 200
    assert replay == {"received": 150, "stored": 0, "duplicates": 150, "flagged": 0}
    finished = worker.post(f"/api/v1/patrols/{body['id']}/finish", json={"ended_at": end_of(rows).isoformat()})
    messy_props = finished.get_json()["properties"]
    for key in ("distance_m", "duration_s", "moving_s", "inside_share", "coverage", "point_count", "valid"):
        assert messy_props[key] == clean[key], key
    assert _count("SELECT count(*) FROM track_point WHERE patrol_id = :id", id=body["id"]) == len(rows)


def test_gaps_are_not_bridged(worker, grid):
    rows = walk(grid, local_time(1, AM), minutes=60)
    before, after = rows[:300], rows[420:]  # ten minutes without fixes
    feature = _run(worker, grid, before + after)
    lines = shape(feature["geometry"])
    assert lines.geom_type == "MultiLineString" and len(lines.geoms) == 2
    assert lines.geoms[0].coords[-1] == pytest.approx(tuple(before[-1][1:3]))
    assert lines.geoms[1].coords[0] == pytest.approx(tuple(after[0][1:3]))
    expected = _geodesic_length(before) + _geodesic_length(after)
    assert abs(feature["properties"]["distance_m"] - expected) / expected < 0.005
    assert feature["properties"]["duration_s"] == pytest.approx(299 * 5 + 299 * 5, abs=1)


def test_noisy_points_are_flagged_and_left_out(worker, grid):
    rows = walk(grid, local_time(1, AM), minutes=30)
    rows[100] = [rows[100][0], rows[100][1] + 0.004, rows[100][2], 5.0, None, None]  # ~380 m spike
    rows[200] = [*rows[200][:3], 80.0, None, None]  # poor accuracy
    body = start_body(grid.id, local_time(1, AM))
    worker.post("/api/v1/patrols", json=body)
    answer = worker.post(f"/api/v1/patrols/{body['id']}/points", json={"points": rows}).get_json()
    assert answer == {"received": 360, "stored": 360, "duplicates": 0, "flagged": 2}
    props = worker.post(f"/api/v1/patrols/{body['id']}/finish", json={"ended_at": end_of(rows).isoformat()})
    props = props.get_json()["properties"]
    assert props["point_count"] == 360 and props["clean_count"] == 358
    kept = [r for i, r in enumerate(rows) if i not in (100, 200)]
    assert abs(props["distance_m"] - _geodesic_length(kept)) / _geodesic_length(kept) < 0.005


def test_late_points_after_finish_recompute_the_figures(worker, grid):
    rows = walk(grid, local_time(1, AM), minutes=40)
    body = start_body(grid.id, local_time(1, AM))
    worker.post("/api/v1/patrols", json=body)
    worker.post(f"/api/v1/patrols/{body['id']}/points", json={"points": rows[:240]})
    first = worker.post(f"/api/v1/patrols/{body['id']}/finish", json={"ended_at": end_of(rows).isoformat()})
    late = worker.post(f"/api/v1/patrols/{body['id']}/points", json={"points": rows[240:]})
    assert late.get_json()["stored"] == 240
    again = worker.post(f"/api/v1/patrols/{body['id']}/finish", json={"ended_at": end_of(rows).isoformat()})
    assert again.status_code == 200
    assert first.get_json()["properties"]["duration_s"] == pytest.approx(239 * 5, abs=1)
    assert again.get_json()["properties"]["duration_s"] == pytest.approx(479 * 5, abs=1)


BAD_ROWS = {
    "zero": [None, 0, 0, 5, None, None],
    "outside_china": [None, -0.12, 51.5, 5, None, None],
    "string_lon": [None, "120.1", 30.28, 5, None, None],
    "negative_accuracy": [None, 120.13, 30.285, -1, None, None],
    "bad_heading": [None, 120.13, 30.285, 5, 1.0, 400],
    "short_row": [None, 120.13],
    "lat_out_of_range": [None, 120.13, 95, 5, None, None],
}


@pytest.mark.parametrize("case", sorted(BAD_ROWS))
def test_a_bad_point_refuses_the_whole_batch(worker, grid, case):
    rows = walk(grid, local_time(1, AM), minutes=2)
    bad = list(BAD_ROWS[case])
    bad[0] = rows[5][0] + 1
    body = start_body(grid.id, local_time(1, AM))
    worker.post("/api/v1/patrols", json=body)
    response = worker.post(f"/api/v1/patrols/{body['id']}/points", json={"points": [*rows, bad]})
    assert_error_shape(response, 422)
    assert _count("SELECT count(*) FROM track_point") == 0


@pytest.mark.parametrize(
    "payload",
    [
        b'{"points": [[1700000000000, NaN, 30.28, 5, null, null]]}',
        b'{"points": [[1700000000000, 120.13, Infinity, 5, null, null]]}',
        b'{"points": [',
        b'{"points": "many"}',
        b'{"points": []}',
        b'{"points": [[1700000000000, 120.13, 30.28, 5, null, null]], "more": 1}',
        b"[]",
    ],
)
def test_malformed_bodies_answer_4xx(worker, grid, payload):
    body = start_body(grid.id, local_time(1, AM))
    worker.post("/api/v1/patrols", json=body)
    response = worker.post(
        f"/api/v1/patrols/{body['id']}/points", data=payload, headers={"Content-Type": "application/json"}
    )
    assert 400 <= response.status_code < 500
    assert_error_shape(response, response.status_code)
    assert _count("SELECT count(*) FROM track_point") == 0


def test_fix_times_far_from_the_patrol_are_refused(worker, grid):
    start = local_time(1, AM)
    rows = walk(grid, start, minutes=2)
    body = start_body(grid.id, start)
    worker.post("/api/v1/patrols", json=body)
    future = [[rows[0][0] + 3 * 86_400_000, *rows[0][1:]]]
    early = [[rows[0][0] - 13 * 3_600_000, *rows[0][1:]]]
    for extra in (future, early):
        response = worker.post(f"/api/v1/patrols/{body['id']}/points", json={"points": rows + extra})
        assert_error_shape(response, 422)
    too_many = [[rows[0][0] + n, *rows[0][1:]] for n in range(5001)]
    assert_error_shape(worker.post(f"/api/v1/patrols/{body['id']}/points", json={"points": too_many}), 422)
    assert _count("SELECT count(*) FROM track_point") == 0
    other = assert_error_shape(worker.post(f"/api/v1/patrols/{new_id()}/points", json={"points": rows}), 404)
    assert other["status"] == 404 and other["code"] == "patrol.no_such_patrol"


def test_points_create_their_monthly_partitions(worker, grid):
    start = local_time(45, AM)
    rows = walk(grid, start, minutes=5)
    _run(worker, grid, rows, started_at=start)
    month = start.astimezone(__import__("datetime").UTC)
    name = f"track_point_y{month.year:04d}m{month.month:02d}"
    assert _count("SELECT count(*) FROM pg_class WHERE relname = :n", n=name) == 1
    assert _count(f"SELECT count(*) FROM {name}") == len(rows)
    assert _count("SELECT count(*) FROM track_point_default") == 0


def test_a_spike_split_across_batches_is_flagged_at_finish(worker, grid):
    rows = walk(grid, local_time(1, AM), minutes=30)
    rows[100] = [rows[100][0], rows[100][1] + 0.001, rows[100][2], 5.0, None, None]  # ~100 m in 5 s, near the grid
    body = start_body(grid.id, local_time(1, AM))
    worker.post("/api/v1/patrols", json=body)
    for batch in (rows[:100], [rows[100]], rows[101:]):  # alone in its batch: no neighbours to judge it by
        assert worker.post(f"/api/v1/patrols/{body['id']}/points", json={"points": batch}).get_json()["flagged"] == 0
    props = worker.post(f"/api/v1/patrols/{body['id']}/finish", json={"ended_at": end_of(rows).isoformat()})
    assert props.get_json()["properties"]["clean_count"] == 359
    flags = _count("SELECT sum(flag) FROM track_point WHERE patrol_id = :id AND flag <> 0", id=body["id"])
    assert flags == 2, "the spike's flag is stored, the rest stay clean"
