"""The lean OsmAnd path: same rows and answers as the full path, and everything unusual still goes there."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from patrol.extensions import db
from patrol.patrols import partitions
from tests.conftest import assert_error_shape
from tests.patrols.helpers import AM, local_time, walk

ROW = "SELECT patrol_id, fix_time, district_code, ST_AsEWKT(geom), accuracy, speed, heading, flag FROM track_point"


def _rows(sql, **params):
    rows = [tuple(r) for r in db.session.execute(text(sql), params).all()]
    db.session.commit()
    return rows


def _count(sql, **params):
    return _rows(sql, **params)[0][0]


@pytest.fixture
def key(demo, login):
    return login("demo-worker").post("/api/v1/patrols/tracker").get_json()["device_id"]


@pytest.fixture
def track(demo):
    return walk(demo["workers"][0][1], local_time(1, AM), minutes=5)


def _query(key, t, lon, lat, extra=""):
    return f"/api/v1/osmand?id={key}&lat={lat}&lon={lon}&timestamp={t}{extra}"


# Clean; low accuracy (flag 1); accuracy past the limit in float8 but not once stored as real; far outside
# the grid (flag 4); unknown speed and heading; no accuracy with location=lat,lon; knots and heading.
VARIANTS = [
    "&accuracy=6&speed=2.3&bearing=90",
    "&accuracy=80",
    "&accuracy=50.00000001",
    "&accuracy=5&far=1",
    "&speed=-1&heading=-1&altitude=12&batt=55",
    "",
    "&accuracy=3.3&speed=1.1&heading=359.9",
]


def _send_variants(client, key, rows):
    for (t, lon, lat, *_), extra in zip(rows, VARIANTS, strict=True):
        if "far=1" in extra:
            lat += 0.01  # about 1.1 km north of the walk, far outside the grid
        if extra == "":
            url = f"/api/v1/osmand?id={key}&location={lat},{lon}&timestamp={t}"
        else:
            url = _query(key, t, lon, lat, extra)
        response = client.get(url)
        assert response.status_code == 200 and response.get_data() == b""


def test_lean_path_stores_the_same_rows_as_the_full_path(app, client, key, track, full_path, monkeypatch):
    t, lon, lat, *_ = track[0]
    assert client.get(_query(key, t, lon, lat)).status_code == 200  # opens the patrol: full path
    assert len(full_path) == 1
    fixes = track[1 : 1 + len(VARIANTS)]
    _send_variants(client, key, fixes)
    assert len(full_path) == 1, "the common case must not reach the full path"
    lean = _rows(ROW + " WHERE fix_time > to_timestamp(:t / 1000.0) ORDER BY fix_time", t=t)
    assert [row[-1] for row in lean] == [0, 1, 0, 4, 0, 0, 0]  # 50.00000001 is 50 once stored as real

    db.session.execute(text("DELETE FROM track_point WHERE fix_time > to_timestamp(:t / 1000.0)"), {"t": t})
    db.session.commit()
    monkeypatch.setitem(app.config, "OSMAND_LEAN_PATH", False)
    _send_variants(client, key, fixes)
    assert len(full_path) == 1 + len(VARIANTS)
    full = _rows(ROW + " WHERE fix_time > to_timestamp(:t / 1000.0) ORDER BY fix_time", t=t)
    assert lean == full


def test_a_replayed_fix_is_stored_once(client, key, track, full_path):
    for t, lon, lat, *_ in [track[0], track[1], track[1], track[2], track[1]]:
        assert client.get(_query(key, t, lon, lat, "&accuracy=5")).status_code == 200
    assert len(full_path) == 1
    assert _count("SELECT count(*) FROM track_point") == 3
    form = {"id": key, "lat": str(track[3][2]), "lon": str(track[3][1]), "timestamp": str(track[3][0])}
    for _ in range(2):  # the OsmAnd POST form takes the lean path too
        assert client.post("/api/v1/osmand", data=form).status_code == 200
    assert len(full_path) == 1
    assert _count("SELECT count(*) FROM track_point") == 4


def test_unknown_device_and_malformed_fixes_answer_400_and_store_nothing(client, key, track, full_path, login):
    t, lon, lat, *_ = track[0]
    assert client.get(_query(key, t, lon, lat)).status_code == 200
    t, lon, lat, *_ = track[1]
    future = int((datetime.now(UTC) + timedelta(days=2)).timestamp())
    for url in [
        _query("nobody", t, lon, lat),
        _query(key, t, lon, "abc"),
        _query(key, t, 0, 0),
        _query(key, future, lon, lat),
        f"/api/v1/osmand?id={key}&lat={lat}&timestamp={t}",
    ]:
        assert_error_shape(client.get(url), 400)
    login("demo-worker").delete("/api/v1/patrols/tracker")
    assert_error_shape(client.get(_query(key, t, lon, lat)), 400)  # a revoked key, with its patrol still open
    assert _count("SELECT count(*) FROM track_point") == 1


def test_silence_and_a_new_day_go_through_the_full_path(app, client, key, demo, full_path, monkeypatch):
    grid = demo["workers"][0][1]
    first = walk(grid, local_time(2, AM), minutes=3)
    later = walk(grid, local_time(2, AM) + timedelta(minutes=40), minutes=3)
    for t, lon, lat, *_ in first + later:
        assert client.get(_query(key, t, lon, lat)).status_code == 200
    assert full_path == [str(first[0][0]), str(later[0][0])]
    # A day later, within a generous silence: the local day alone starts a new patrol.
    monkeypatch.setitem(app.config, "PATROL_TRACKER_SILENCE_MIN", 3 * 24 * 60.0)
    next_day = walk(grid, local_time(1, AM), minutes=1)
    for t, lon, lat, *_ in next_day:
        assert client.get(_query(key, t, lon, lat)).status_code == 200
    assert full_path[-1] == str(next_day[0][0]) and len(full_path) == 3
    patrols = _rows("SELECT ended_at IS NOT NULL, point_count FROM patrol ORDER BY started_at")
    assert patrols == [(True, len(first)), (True, len(later)), (False, 0)]
    assert _count("SELECT count(*) FROM track_point") == len(first) + len(later) + len(next_day)


def _recent_month_start():
    """The latest start of a UTC month that is at least ten minutes ago (inside the accepted fix window)."""
    return (datetime.now(UTC) - timedelta(minutes=10)).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def test_a_fix_in_a_month_without_partition_is_stored(client, key, demo, full_path):
    # 00:00 UTC on the 1st is 08:00 local: the patrol opens in one month, its next fixes are the next month's.
    boundary = _recent_month_start()
    name = partitions.partition_name(boundary.year, boundary.month)
    db.session.execute(text(f"DROP TABLE IF EXISTS {name}"))
    db.session.commit()
    partitions.forget_known()
    rows = walk(demo["workers"][0][1], boundary - timedelta(minutes=2), minutes=4, step_s=30)
    for t, lon, lat, *_ in rows:
        assert client.get(_query(key, t, lon, lat)).status_code == 200
    assert full_path == [str(rows[0][0]), str(rows[4][0])]  # the opener, then the first fix of the new month
    assert _count(f"SELECT count(*) FROM {name}") == 4
    assert _count("SELECT count(*) FROM track_point_default") == 0
    assert _count("SELECT count(*) FROM track_point") == len(rows)


def test_lean_answers_carry_the_apps_headers(app, client, key, track, full_path, monkeypatch):
    t, lon, lat, *_ = track[0]
    client.get(_query(key, t, lon, lat))
    lean = client.get(_query(key, track[1][0], lon, lat), headers={"X-Request-ID": "tracker-42"})
    assert len(full_path) == 1
    monkeypatch.setitem(app.config, "OSMAND_LEAN_PATH", False)
    full = client.get(_query(key, track[2][0], lon, lat), headers={"X-Request-ID": "tracker-43"})
    assert len(full_path) == 2
    assert lean.status_code == full.status_code == 200
    assert lean.headers["X-Request-ID"] == "tracker-42"
    assert dict(lean.headers) | {"X-Request-ID": ""} == dict(full.headers) | {"X-Request-ID": ""}
    assert "Content-Security-Policy" in lean.headers and lean.headers["Cache-Control"] == "no-store"
    monkeypatch.setitem(app.config, "OSMAND_LEAN_PATH", True)
    secure = client.get(_query(key, track[3][0], lon, lat), base_url="https://localhost")
    assert len(full_path) == 2
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


def test_lean_requests_are_counted_and_logged(client, key, track, full_path, caplog):
    from patrol.metrics import REQUESTS

    t, lon, lat, *_ = track[0]
    client.get(_query(key, t, lon, lat))
    counter = REQUESTS.labels("GET", "/api/v1/osmand", "200")
    before = counter._value.get()
    with caplog.at_level("INFO", logger="patrol.request"):
        caplog.clear()  # only the lean request's line (the first fix's may be captured too, by the suite's level)
        client.get(_query(key, track[1][0], lon, lat), headers={"X-Request-ID": "tracker-44"})
    assert len(full_path) == 1
    assert counter._value.get() == before + 1
    (line,) = [r for r in caplog.records if r.name == "patrol.request"]
    assert (line.request_id, line.endpoint, line.status, line.method) == ("tracker-44", "/api/v1/osmand", 200, "GET")


@pytest.mark.parametrize("extra", ["&accuracy=1e39", "&speed=1e39", "&accuracy=1e-50", "&heading=1e-45"])
def test_values_a_real_column_cannot_hold_are_malformed(client, key, track, extra):
    t, lon, lat, *_ = track[0]
    assert_error_shape(client.get(_query(key, t, lon, lat, extra)), 400)
    assert _count("SELECT count(*) FROM track_point") == 0
    assert client.get(_query(key, t, lon, lat, "&accuracy=5")).status_code == 200  # the next fix is stored
    assert _count("SELECT count(*) FROM track_point") == 1
