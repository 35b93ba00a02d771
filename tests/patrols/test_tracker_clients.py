"""Real tracker clients: each one's fields as it means them, fixes in the patrol of their time, upkeep, status.

The request templates are byte for byte what the clients send (only the device key, the time and the
position are filled in): OsmAnd's online tracking URL `…?id=KEY&lat={0}&lon={1}&timestamp={2}&hdop={3}
&altitude={4}&speed={5}` (Unix ms, accuracy in metres as hdop, speed m/s), Traccar Client's OsmAnd-protocol
POST (parameters in the query, Unix seconds, speed in knots, battery in percent) and its JSON body (ISO time,
`location.coords`, `is_moving`, `battery`, `activity`).
"""

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from patrol.extensions import db
from tests.conftest import assert_error_shape
from tests.patrols.helpers import AM, local_time, walk

OSMAND_QUERY = "/api/v1/osmand?id={key}&lat={lat}&lon={lon}&timestamp={ms}&hdop={acc}&altitude=12.5&speed=1.35"
TRACCAR_FORM_QUERY = (
    "/api/v1/osmand?id={key}&timestamp={s}&lat={lat}&lon={lon}&speed=2.62&bearing=87.5&altitude=12.0"
    "&accuracy={acc}&batt=76.0&charge=false"
)
TRACCAR_JSON = (
    '{{"location":{{"event":"motionchange","is_moving":true,"uuid":"5a1c6b1e-3a41-4d0a-9d0f-2b1f7c1f8e11",'
    '"timestamp":"{iso}","odometer":1532.4,"coords":{{"latitude":{lat},"longitude":{lon},"accuracy":{acc},'
    '"speed":1.2,"speed_accuracy":0.5,"heading":181.3,"heading_accuracy":12,"altitude":14.2,'
    '"altitude_accuracy":3.1,"ellipsoidal_altitude":14.2}},"activity":{{"type":"walking","confidence":88}},'
    '"battery":{{"is_charging":true,"level":0.42}},"extras":{{}}}},"device_id":"{key}"}}'
)


def _rows(sql, **params):
    rows = [tuple(r) for r in db.session.execute(text(sql), params).all()]
    db.session.commit()
    return rows


@pytest.fixture
def key(demo, login):
    return login("demo-worker").post("/api/v1/patrols/tracker").get_json()["device_id"]


def _iso(ms):
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _send_each_client(client, key, rows, poor):
    """Rows sent in turn by OsmAnd, Traccar Client's form and its JSON; `poor` rows report 150 m."""
    for n, (t, lon, lat, *_) in enumerate(rows):
        acc = 150.0 if n in poor else 6.0
        if n % 3 == 0:
            response = client.get(OSMAND_QUERY.format(key=key, lat=lat, lon=lon, ms=t, acc=acc))
        elif n % 3 == 1:
            response = client.post(TRACCAR_FORM_QUERY.format(key=key, lat=lat, lon=lon, s=t // 1000, acc=acc))
        else:
            body = TRACCAR_JSON.format(key=key, lat=lat, lon=lon, iso=_iso(t), acc=acc)
            response = client.post("/api/v1/osmand", data=body.encode(), content_type="application/json")
        assert response.status_code == 200, response.get_data(as_text=True)


def test_each_clients_accuracy_speed_and_time_are_read_as_it_means_them(key, client, grid):
    rows = walk(grid, local_time(1, AM), minutes=2, step_s=10)
    poor = {3, 4, 5}  # one fix of each client reports 150 m
    _send_each_client(client, key, rows, poor)
    stored = _rows("SELECT flag & 1, accuracy::float8, speed::float8 FROM track_point ORDER BY fix_time")
    assert len(stored) == len(rows)
    assert [n for n, row in enumerate(stored) if row[0]] == sorted(poor)
    assert stored[0][1:] == (6.0, pytest.approx(1.35))  # OsmAnd: hdop is metres, speed m/s
    assert stored[1][2] == pytest.approx(2.62 * 0.514444, abs=1e-3)  # Traccar form: knots
    assert stored[2][2] == pytest.approx(1.2)  # Traccar JSON: m/s
    patrols = _rows("SELECT point_count FROM patrol")
    assert len(patrols) == 1


def test_hdop_alone_flags_an_osmand_fix_on_the_lean_path_too(key, client, grid):
    rows = walk(grid, local_time(1, AM), minutes=1, step_s=10)
    for t, lon, lat, *_ in rows:
        client.get(OSMAND_QUERY.format(key=key, lat=lat, lon=lon, ms=t, acc=150.0))
    assert _rows("SELECT count(*) FILTER (WHERE flag & 1 = 1), count(*) FROM track_point") == [(len(rows), len(rows))]


FIGURES = """
SELECT started_at, ended_at, shift, local_date, point_count, clean_count, round(distance_m::numeric, 3),
       duration_s, moving_s, round(coverage::numeric, 6), round(inside_share::numeric, 6), valid, invalid_reasons
FROM patrol WHERE source = 'osmand' ORDER BY started_at
"""


def _deliver_and_close(client, runner, key, fixes):
    for t, lon, lat, *_ in fixes:
        assert client.get(OSMAND_QUERY.format(key=key, lat=lat, lon=lon, ms=t, acc=6.0)).status_code == 200
    assert runner.invoke(args=["patrols", "upkeep"]).exit_code == 0
    figures = _rows(FIGURES)
    db.session.execute(text("DELETE FROM track_point"))
    db.session.execute(text("DELETE FROM patrol"))
    db.session.commit()
    return figures


def test_late_and_shuffled_fixes_give_the_same_patrols_as_in_order_delivery(key, client, runner, grid):
    first = walk(grid, local_time(1, AM), minutes=15, step_s=10)
    second = walk(grid, local_time(1, AM) + timedelta(minutes=45), minutes=15, step_s=10)
    in_order = _deliver_and_close(client, runner, key, first + second)
    assert len(in_order) == 2
    assert [p[0] for p in in_order] == [datetime.fromtimestamp(r[0][0] / 1000, UTC) for r in (first, second)]
    assert [p[1] for p in in_order] == [datetime.fromtimestamp(r[-1][0] / 1000, UTC) for r in (first, second)]
    assert [p[4] for p in in_order] == [len(first), len(second)]
    # The phone buffered the first walk and sent it after the second had started.
    late = second[:20] + first + second[20:]
    assert _deliver_and_close(client, runner, key, late) == in_order
    for seed in (1, 2):
        shuffled = first + second
        random.Random(seed).shuffle(shuffled)
        assert _deliver_and_close(client, runner, key, shuffled) == in_order


def test_an_open_tracker_patrol_shows_its_track_so_far(key, client, worker, grid):
    rows = walk(grid, local_time(1, AM), minutes=3, step_s=5)
    for t, lon, lat, *_ in rows:
        client.get(OSMAND_QUERY.format(key=key, lat=lat, lon=lon, ms=t, acc=6.0))
    (patrol_id,) = _rows("SELECT id FROM patrol")[0]
    feature = worker.get(f"/api/v1/patrols/{patrol_id}").get_json()
    assert feature["geometry"]["type"] == "MultiLineString"
    assert feature["properties"]["point_count"] == len(rows)
    assert feature["properties"]["ended_at"] is None and "not_finished" in feature["properties"]["invalid_reasons"]
    listed = worker.get(f"/api/v1/patrols?grid_id={grid.id}").get_json()["features"]
    assert listed[0]["geometry"] is not None and listed[0]["properties"]["point_count"] == len(rows)


def test_upkeep_closes_a_patrol_silent_longer_than_the_gap(app, key, client, runner, grid, monkeypatch):
    rows = walk(grid, local_time(1, AM), minutes=2, step_s=10)
    for t, lon, lat, *_ in rows:
        client.get(OSMAND_QUERY.format(key=key, lat=lat, lon=lon, ms=t, acc=6.0))
    silent_min = (datetime.now(UTC).timestamp() * 1000 - rows[-1][0]) / 60_000
    monkeypatch.setitem(app.config, "PATROL_TRACKER_SILENCE_MIN", silent_min + 3)  # silent less than the gap
    assert runner.invoke(args=["patrols", "upkeep"]).output.startswith("closed 0 ")
    assert _rows("SELECT ended_at FROM patrol") == [(None,)]
    monkeypatch.setitem(app.config, "PATROL_TRACKER_SILENCE_MIN", silent_min - 3)  # silent for the gap + 3 min
    assert runner.invoke(args=["patrols", "upkeep"]).output.startswith("closed 1 ")
    last = datetime.fromtimestamp(rows[-1][0] / 1000, UTC)
    assert _rows("SELECT ended_at, point_count, valid IS NOT NULL FROM patrol") == [(last, len(rows), True)]


def test_the_street_sees_each_trackers_last_fix_battery_and_client(key, client, login, grid):
    rows = walk(grid, local_time(1, AM), minutes=1, step_s=10)
    _send_each_client(client, key, rows[:5], poor=set())  # last: Traccar form, 76 %
    for username in ("demo-street", "demo-community", "demo-admin"):
        trackers = login(username).get("/api/v1/patrols/trackers").get_json()["trackers"]
        mine = [t for t in trackers if t["username"] == "demo-worker"]
        assert len(mine) == 1 and mine[0]["client"] == "traccar" and mine[0]["battery"] == 76.0
        assert mine[0]["charging"] is False and mine[0]["grid_ids"] == [grid.id]
        assert datetime.fromisoformat(mine[0]["last_fix_at"]) == datetime.fromtimestamp(rows[4][0] / 1000, UTC)
    # An earlier fix arriving late does not replace the status of the latest one.
    t, lon, lat, *_ = rows[0]
    body = TRACCAR_JSON.format(key=key, lat=lat, lon=lon, iso=_iso(t - 5000), acc=6.0)
    client.post("/api/v1/osmand", data=body.encode(), content_type="application/json")
    t, lon, lat, *_ = rows[5]
    client.post(
        "/api/v1/osmand",
        data=TRACCAR_JSON.format(key=key, lat=lat, lon=lon, iso=_iso(t), acc=6.0).encode(),
        content_type="application/json",
    )
    mine = [
        t
        for t in login("demo-street").get("/api/v1/patrols/trackers").get_json()["trackers"]
        if t["username"] == "demo-worker"
    ]
    assert (mine[0]["client"], mine[0]["battery"], mine[0]["charging"]) == ("traccar-json", 42.0, True)
    assert_error_shape(login("demo-worker").get("/api/v1/patrols/trackers"), 403)
