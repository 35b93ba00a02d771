"""The tracker gateway (uvicorn): concurrent fixes committed together, everything else answered by the app."""

import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import uvicorn
from sqlalchemy import text

from patrol import create_app
from patrol.extensions import db
from patrol.patrols.tracker_gateway import Gateway
from tests.patrols.helpers import AM, local_time, walk


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def gateway(app):
    """Base URL of a real uvicorn server running the gateway around its own app (same database)."""
    own_app = create_app({**{k: app.config[k] for k in ("TESTING", "SQLALCHEMY_DATABASE_URI", "PHOTO_DIR")}})
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(Gateway(own_app), port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    with own_app.app_context():
        db.engines[None].dispose()


@pytest.fixture
def keys(demo, login):
    """Tracker keys of demo-worker and demo-worker2, with the walks in their grids."""
    out = []
    for username, (_, grid) in zip(("demo-worker", "demo-worker2"), demo["workers"][:2], strict=True):
        key = login(username).post("/api/v1/patrols/tracker").get_json()["device_id"]
        out.append((key, walk(grid, local_time(1, AM), minutes=4)))
    return out


def _get(base, key, t, lon, lat, extra="&accuracy=6&speed=2"):
    return requests.get(f"{base}/api/v1/osmand?id={key}&lat={lat}&lon={lon}&timestamp={t}{extra}", timeout=10)


def _assert_error(response, status):
    """The one error shape, read over real HTTP."""
    body = response.json()
    assert response.status_code == status and set(body) == {"code", "status", "message", "errors"}, body
    assert body["status"] == status and "." in body["code"] and body["message"] and isinstance(body["errors"], dict)


def _stored():
    rows = db.session.execute(
        text("SELECT p.worker_id, t.fix_time, t.flag FROM track_point t JOIN patrol p ON p.id = t.patrol_id")
    ).all()
    db.session.commit()
    return rows


def test_concurrent_fixes_are_each_stored_once(gateway, keys, full_path):
    for key, rows in keys:  # the first fix of each tracker opens its patrol through the app
        t, lon, lat, *_ = rows[0]
        assert _get(gateway, key, t, lon, lat).status_code == 200
    assert len(full_path) == 2
    jobs = [(key, row) for key, rows in keys for row in rows[1:]]
    jobs += jobs[:10]  # re-sent fixes

    def send(job):
        key, (t, lon, lat, *_) = job
        return _get(gateway, key, t, lon, lat, "&accuracy=80" if t % 7 == 0 else "&accuracy=6")

    with ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(send, jobs))
    assert {r.status_code for r in answers} == {200} and {r.content for r in answers} == {b""}
    assert len(full_path) == 2, "the common case never reached the app"
    stored = _stored()
    expected = sum(len(rows) for _, rows in keys)
    assert len(stored) == len({(w, t) for w, t, _ in stored}) == expected
    assert sum(1 for *_, flag in stored if flag == 1) == sum(1 for _, rows in keys for r in rows[1:] if r[0] % 7 == 0)
    assert answers[0].headers["X-Content-Type-Options"] == "nosniff" and answers[0].headers["X-Request-ID"]


def test_what_is_not_the_common_case_is_answered_by_the_app(gateway, keys, full_path):
    key, rows = keys[0]
    t, lon, lat, *_ = rows[0]
    _assert_error(_get(gateway, "no-such-device", t, lon, lat), 400)
    _assert_error(_get(gateway, key, t, "east", lat), 400)
    assert _stored() == []
    posted = requests.post(
        f"{gateway}/api/v1/osmand", data={"id": key, "lat": lat, "lon": lon, "timestamp": t}, timeout=10
    )
    assert posted.status_code == 200  # opens the patrol through the app
    t1, lon1, lat1, *_ = rows[1]
    body = {"device_id": key, "location": {"timestamp": t1, "coords": {"latitude": lat1, "longitude": lon1}}}
    assert requests.post(f"{gateway}/api/v1/osmand", json=body, timeout=10).status_code == 200
    t2, lon2, lat2, *_ = rows[2]
    form = {"id": key, "lat": lat2, "lon": lon2, "timestamp": t2}
    assert requests.post(f"{gateway}/api/v1/osmand", data=form, timeout=10).status_code == 200
    assert len(full_path) == 4, (
        "the two errors, the opening fix and the JSON body went to the app; the form fix did not"
    )
    assert len(_stored()) == 3
    health = requests.get(f"{gateway}/api/v1/health", timeout=10)
    assert health.status_code == 200 and health.json()["status"] == "ok"


def test_a_lost_database_connection_loses_no_fix(gateway, keys, full_path):
    key, rows = keys[0]
    for t, lon, lat, *_ in rows[:2]:  # the first opens the patrol (app), the second is written by the gateway
        assert _get(gateway, key, t, lon, lat).status_code == 200
    assert len(full_path) == 1
    killed = db.session.execute(
        text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE query LIKE '%WITH fix AS%' AND pid <> pg_backend_pid()"
        )
    ).scalar()
    db.session.commit()
    assert killed >= 1  # the gateway writer's (and any lean-path connection of this process, which reconnects)
    for t, lon, lat, *_ in rows[2:4]:
        assert _get(gateway, key, t, lon, lat).status_code == 200
    assert len(full_path) == 2, "the fix on the lost connection went to the app, the next one to a new connection"
    assert len(_stored()) == 4
