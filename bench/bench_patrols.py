"""Patrol benchmarks: ingest through gunicorn beside a raw COPY, OsmAnd fixes, finish, compliance.

Runs on loopback only, bounded in time; builds (or reuses) the scale database first
(BENCH_DB_NAME, default gridpatrol_bench; BENCH_GRIDS, default 1000; 30 days, points for 1 day).
"""

import hashlib
import http.client
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

import numpy as np
import orjson
import psycopg

from bench import osmand_load, scale_data

CLIENTS = 4
# As deploy/systemd/gridpatrol-trackers.service starts the gateway (without its proxy options).
GATEWAY_ARGS = [
    "--factory", "patrol.patrols.tracker_gateway:create_gateway", "--workers", "2",
    "--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning",
]  # fmt: skip
BATCH = 1000
RUN_SECONDS = float(os.environ.get("BENCH_SECONDS", 8))


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _request(conn, method, path, body=None, headers=None):
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    return response.status, response.read()


def _login(port, username):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = orjson.dumps({"username": username, "password": scale_data.PASSWORD})
    status, data = _request(conn, "POST", "/api/v1/auth/login", body, {"Content-Type": "application/json"})
    assert status == 200, data[:300]
    return conn, orjson.loads(data)["access_token"]


def _batches(g, start, count):
    """`count` batches of BATCH fixes, one per second, walking inside grid g."""
    x0, y0, x1, y1 = scale_data.grid_box(g)
    rng = np.random.default_rng(g)
    n = BATCH * count
    t0 = int(start.timestamp() * 1000)
    lon = x0 + (x1 - x0) * (0.5 + 0.3 * np.sin(np.arange(n) / 300)) + rng.normal(0, 2e-5, n)
    lat = y0 + (y1 - y0) * (0.5 + 0.3 * np.cos(np.arange(n) / 400)) + rng.normal(0, 2e-5, n)
    rows = [[t0 + i * 1000, float(lon[i]), float(lat[i]), 6.0, 1.2, None] for i in range(n)]
    return [orjson.dumps({"points": rows[b * BATCH : (b + 1) * BATCH]}) for b in range(count)]


def _ingest_client(args):
    port, g, grid_id, start_at = args
    conn, token = _login(port, f"bench-w{g}")
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    started = datetime.now(UTC) - timedelta(hours=30)
    patrol_id = str(uuid.uuid4())
    body = orjson.dumps({"id": patrol_id, "grid_id": grid_id, "started_at": started.isoformat()})
    assert _request(conn, "POST", "/api/v1/patrols", body, headers)[0] == 201
    batches = _batches(g, started, 80)
    _request(conn, "POST", f"/api/v1/patrols/{patrol_id}/points", batches[0], headers)  # warm-up
    while time.time() < start_at:
        time.sleep(0.001)
    stored, began = 0, time.perf_counter()
    for batch in batches[1:]:
        status, data = _request(conn, "POST", f"/api/v1/patrols/{patrol_id}/points", batch, headers)
        assert status == 200, data[:300]
        stored += orjson.loads(data)["stored"]
        if time.perf_counter() - began > RUN_SECONDS:
            break
    return stored, began, time.perf_counter()


def _parallel(function, jobs):
    with multiprocessing.get_context("spawn").Pool(len(jobs)) as pool:
        results = pool.map(function, jobs)
    total = sum(r[0] for r in results)
    wall = max(r[2] for r in results) - min(r[1] for r in results)
    return total / wall


def _start_gunicorn(url, port):
    env = {
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "4",
        "GUNICORN_THREADS": "2",
    }
    command = [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "wsgi:app"]
    return _serve(command, url, port, env, "gunicorn")


def _start_gateway(url, port):
    """The tracker gateway as deploy/systemd/gridpatrol-trackers.service runs it (two workers)."""
    command = [sys.executable, "-m", "uvicorn", *GATEWAY_ARGS, "--port", str(port)]
    return _serve(command, url, port, {}, "tracker gateway")


def _serve(command, url, port, extra_env, name):
    env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING", **extra_env}
    process = subprocess.Popen(
        command, cwd=scale_data.ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            if _request(conn, "GET", "/api/v1/health")[0] == 200:
                return process
        except OSError:
            time.sleep(0.3)
    process.terminate()
    raise RuntimeError(f"{name} did not start")


def _raw_copy(url, rows=200_000):
    """Rows/s of a plain COPY into the same partitioned table (then removed again)."""
    pid = str(uuid.uuid4())
    t0 = datetime.now(UTC) - timedelta(hours=30)
    stamps = np.datetime_as_string(
        np.datetime64(t0.replace(tzinfo=None), "ms") + np.arange(rows).astype("timedelta64[s]"), timezone="UTC"
    )
    text = "".join(f"{pid}\t{t}\t330106\tSRID=4326;POINT(120.0015 30.0013)\t6\t1.2\t\\N\t0\n" for t in stamps)
    with psycopg.connect(url) as conn:
        began = time.perf_counter()
        with (
            conn.cursor() as cur,
            cur.copy(
                "COPY track_point (patrol_id, fix_time, district_code, geom, accuracy, speed, heading, flag) FROM STDIN"
            ) as copy,
        ):
            for n in range(0, len(text), 1 << 20):
                copy.write(text[n : n + (1 << 20)])
        conn.commit()
        elapsed = time.perf_counter() - began
        conn.execute("DELETE FROM track_point WHERE patrol_id = %s", (pid,))
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM track_point")  # now, not by autovacuum during the next measurement
    return rows / elapsed


def _compliance_ms(app, days):
    from patrol.auth.models import User
    from patrol.extensions import db
    from patrol.patrols import stats

    with app.app_context():
        admin = db.session.query(User).filter_by(username="bench-admin").one()
        last = datetime.now(scale_data.TZ).date() - timedelta(days=1)
        timings = []
        for _ in range(5):
            began = time.perf_counter()
            rows = stats.compliance_rows(admin, last - timedelta(days=days - 1), last, None, "grid")
            timings.append((time.perf_counter() - began) * 1000)
        assert len(rows) >= 1000 or len(rows) == int(os.environ.get("BENCH_GRIDS", 1000))
        return statistics.median(timings), len(rows)


def _finish_ms(app, patrols=15):
    from patrol.areas.models import GridAssignment
    from patrol.auth.models import User
    from patrol.extensions import db
    from patrol.patrols import service

    with app.app_context():
        worker = db.session.query(User).filter_by(username="bench-w3").one()
        grid_id = db.session.query(GridAssignment.grid_id).filter_by(user_id=worker.id).scalar()
        timings = []
        for n in range(patrols):
            started = datetime.now(UTC) - timedelta(hours=40 - n)
            patrol, _ = service.start_patrol(worker, uuid.uuid4(), grid_id, started)
            rows = [
                [int(started.timestamp() * 1000) + i * 5000, *row[1:]]
                for i, row in enumerate(orjson.loads(_batches(3, started, 1)[0])["points"][:720])
            ]
            service.add_points(worker, patrol.id, rows)
            began = time.perf_counter()
            service.finish_patrol(worker, patrol.id, started + timedelta(hours=1))
            timings.append((time.perf_counter() - began) * 1000)
        return statistics.median(timings[3:]), max(timings[3:])


def _tracker_keys(url, workers):
    keys = []
    with psycopg.connect(url) as conn:
        for g in workers:
            key = f"bench-key-{g}-{uuid.uuid4().hex[:8]}"
            conn.execute(
                "INSERT INTO tracker_device (user_id, key_hash) SELECT id, %s FROM app_user WHERE username = %s "
                "ON CONFLICT (user_id) DO UPDATE SET key_hash = excluded.key_hash",
                (hashlib.sha256(key.encode()).hexdigest(), f"bench-w{g}"),
            )
            keys.append(key)
        conn.commit()
    return keys


def main():
    from patrol import create_app

    name = os.environ.get("BENCH_DB_NAME", "gridpatrol_bench")
    grids = int(os.environ.get("BENCH_GRIDS", 1000))
    built = scale_data.ensure(name, grids=grids, days=30, point_days=1)
    print(f"scale data {name}: {built or 'reused'}", flush=True)
    url = scale_data.database_url(name)
    plain_url = url.replace("postgresql+psycopg://", "postgresql://")
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    compliance, rows = _compliance_ms(app, 30)
    print(f"compliance query, {rows} grids x 30 days: {compliance:.0f} ms (median of 5; target <= 200 ms)", flush=True)
    finish, worst = _finish_ms(app)
    print(f"finish a 720-point patrol: {finish:.1f} ms server time (median; worst {worst:.1f}; target <= 30 ms)")
    port = _free_port()
    server = _start_gunicorn(url, port)
    try:
        with psycopg.connect(plain_url) as conn:
            grid_ids = {
                g: conn.execute("SELECT id FROM area WHERE code = %s", (scale_data.codes(g)[2],)).fetchone()[0]
                for g in range(10, 10 + CLIENTS)
            }
        start_at = time.time() + 4
        ingest = _parallel(_ingest_client, [(port, g, grid_ids[g], start_at) for g in grid_ids])
        copy = _raw_copy(plain_url)
        print(
            f"ingest via gunicorn, {CLIENTS} clients x {BATCH}-point batches: {ingest:,.0f} points/s "
            f"(target >= 100,000); raw COPY into the same table: {copy:,.0f} rows/s "
            f"({ingest / copy:.0%} of COPY)",
            flush=True,
        )
        trackers = range(osmand_load.FIRST_WORKER, osmand_load.FIRST_WORKER + osmand_load.CONNECTIONS)
        keys = _tracker_keys(plain_url, trackers)
        through_app = osmand_load.run(port, keys, RUN_SECONDS)
    finally:
        server.terminate()
        server.wait(timeout=30)
    port = _free_port()
    gateway = _start_gateway(url, port)
    try:
        osmand = osmand_load.run(port, keys, RUN_SECONDS)
    finally:
        gateway.terminate()
        gateway.wait(timeout=30)
    print(
        f"OsmAnd single fixes through the tracker gateway, {len(trackers)} trackers on keep-alive connections: "
        f"{osmand:,.0f} requests/s (target >= 2,000); through gunicorn alone (lean WSGI path): "
        f"{through_app:,.0f} requests/s",
        flush=True,
    )
    print("note: measured on a 2-core machine shared with other engineers' work; figures vary with their load")


if __name__ == "__main__":
    main()
