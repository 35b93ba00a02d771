"""Native trackers: device keys and the OsmAnd protocol in both formats."""

from datetime import timedelta

import pytest
from sqlalchemy import text

from patrol.extensions import db
from tests.conftest import assert_error_shape
from tests.patrols.helpers import AM, local_time, walk


def _scalar(sql, **params):
    value = db.session.execute(text(sql), params).scalar()
    db.session.commit()
    return value


@pytest.fixture
def key(demo, login):
    response = login("demo-worker").post("/api/v1/patrols/tracker")
    assert response.status_code == 201
    body = response.get_json()
    assert body["qr_svg"].startswith("<svg") or "<svg" in body["qr_svg"][:200]
    assert body["tracker_url"] == f"{body['server_url']}?id={body['device_id']}"
    return body["device_id"]


def test_key_issue_rotate_and_info(key, login, client):
    worker = login("demo-worker")
    info = worker.get("/api/v1/patrols/tracker").get_json()
    assert info["issued"] is True and "device_id" not in info
    rotated = worker.post("/api/v1/patrols/tracker").get_json()["device_id"]
    assert rotated != key
    assert_error_shape(client.get(f"/api/v1/osmand?id={key}&lat=30.283&lon=120.1215"), 400)
    assert_error_shape(login("demo-street").post("/api/v1/patrols/tracker"), 403)
    assert worker.delete("/api/v1/patrols/tracker").status_code == 204
    assert_error_shape(client.get(f"/api/v1/osmand?id={rotated}&lat=30.283&lon=120.1215"), 400)


def test_osmand_query_and_json_fixes_make_one_patrol(key, client, demo):
    grid = demo["workers"][0][1]
    rows = walk(grid, local_time(1, AM), minutes=10)
    for t, lon, lat, *_ in rows[:60]:
        response = client.get(f"/api/v1/osmand?id={key}&lat={lat}&lon={lon}&timestamp={t // 1000}&speed=2.3&accuracy=6")
        assert response.status_code == 200 and response.get_data() == b""
    for t, lon, lat, *_ in rows[60:]:
        body = {
            "device_id": key,
            "location": {
                "timestamp": (local_time(1, AM) + timedelta(milliseconds=t - rows[0][0])).isoformat(),
                "coords": {"latitude": lat, "longitude": lon, "accuracy": 5, "speed": 1.2, "heading": 90},
                "battery": {"level": 0.5},
            },
        }
        assert client.post("/api/v1/osmand", json=body).status_code == 200
    form = {"id": key, "location": f"{rows[5][2]},{rows[5][1]}", "timestamp": str(rows[5][0])}
    assert client.post("/api/v1/osmand", data=form).status_code == 200  # a resend: ignored
    assert _scalar("SELECT count(*) FROM patrol WHERE source = 'osmand'") == 1
    assert _scalar("SELECT count(*) FROM track_point") == len(rows)
    assert _scalar("SELECT speed::float8 FROM track_point ORDER BY fix_time LIMIT 1") == pytest.approx(
        2.3 * 0.514444, abs=0.01
    )


def test_silence_closes_the_patrol_and_the_next_fix_opens_another(key, client, demo):
    grid = demo["workers"][0][1]
    first = walk(grid, local_time(1, AM), minutes=5)
    later = walk(grid, local_time(1, AM) + timedelta(minutes=40), minutes=5)
    for t, lon, lat, *_ in first + later:
        assert client.get(f"/api/v1/osmand?deviceid={key}&lat={lat}&lon={lon}&timestamp={t}").status_code == 200
    rows = db.session.execute(text("SELECT ended_at IS NOT NULL, point_count FROM patrol ORDER BY started_at")).all()
    db.session.commit()
    assert [tuple(r) for r in rows] == [(True, len(first)), (False, 0)]


@pytest.mark.parametrize(
    "query",
    [
        "lat=30.283&lon=120.1215",
        "id=nobody&lat=30.283&lon=120.1215",
        "id={key}&lat=0&lon=0",
        "id={key}&lat=51.5&lon=-0.12",
        "id={key}&lat=nan&lon=120.12",
        "id={key}&lat=abc&lon=120.12",
        "id={key}&lon=120.12",
        "id={key}&lat=30.283&lon=120.1215&timestamp=yesterday",
        "id={key}&lat=30.283&lon=120.1215&timestamp=9999999999",
    ],
)
def test_bad_fixes_answer_400_and_store_nothing(key, client, query):
    assert_error_shape(client.get("/api/v1/osmand?" + query.format(key=key)), 400)
    assert _scalar("SELECT count(*) FROM track_point") == 0


def test_bad_json_bodies_answer_400(key, client):
    for body in ({"device_id": key}, {"device_id": key, "location": {"coords": {"latitude": 30.28}}}, [1]):
        assert_error_shape(client.post("/api/v1/osmand", json=body), 400)
    bad = client.post("/api/v1/osmand", data=b"{", headers={"Content-Type": "application/json"})
    assert_error_shape(bad, 400)
    assert _scalar("SELECT count(*) FROM patrol") == 0


def test_fixes_outside_the_grids_or_shifts_store_nothing(key, client):
    assert client.get(f"/api/v1/osmand?id={key}&lat=31.2&lon=121.4").status_code == 200
    night = int((local_time(1, AM).replace(hour=2)).timestamp())
    assert client.get(f"/api/v1/osmand?id={key}&lat=30.2829&lon=120.1215&timestamp={night}").status_code == 200
    assert _scalar("SELECT count(*) FROM patrol") == 0
