"""Review benchmarks on the scale data (1,000 grids, 30 days, two one-hour patrols a grid a day).

- a `tracks` tile at z14 over a busy area: p50/p95 for one client, uncached (no ETag sent);
- throughput of that tile from our app (gunicorn) against TiPg serving the same table, both on loopback;
- a z12 tile of the district: size and time;
- the month's compliance statistics (whole district) and the monthly XLSX report of one street.

Needs `pip install -r bench/requirements.txt` (TiPg, uvicorn). The database is BENCH_REVIEW_DB
(default gridpatrol_review_bench), built by bench.scale_data with track points for the last day.
"""

import math
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import requests

from bench import scale_data

ROOT = Path(__file__).resolve().parent.parent
DB = os.environ.get("BENCH_REVIEW_DB", "gridpatrol_review_bench")
GRIDS, DAYS = 1000, 30
REQUESTS = int(os.environ.get("BENCH_TILE_REQUESTS", "60"))
THROUGHPUT_SECONDS = float(os.environ.get("BENCH_THROUGHPUT_SECONDS", "8"))
CLIENTS = 4

# Lines are derived from the fixes as ingest does (the generator copies points but leaves the track empty).
_TRACKS = """
UPDATE patrol p SET track = t.line FROM (
    SELECT patrol_id, ST_Multi(ST_MakeLine(geom ORDER BY fix_time)) AS line
    FROM track_point WHERE fix_time >= %(lo)s AND fix_time < %(hi)s AND flag = 0 GROUP BY patrol_id
) t WHERE p.id = t.patrol_id AND p.local_date = %(day)s AND p.track IS NULL
"""


def tile_of(lon, lat, z):
    n = 2**z
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n), z


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_up(url, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not come up")


def serve(command, env, url):
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_up(url)
    except RuntimeError:
        process.kill()
        raise
    return process


def stop(process):
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


def feature_count(data, layer):
    import mapbox_vector_tile

    return len(mapbox_vector_tile.decode(data).get(layer, {}).get("features", []))


def timed_gets(session, url, count, headers=None):
    times, size = [], 0
    for _ in range(count):
        started = time.perf_counter()
        response = session.get(url, headers=headers, timeout=30)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code, response.text[:200])
        size = len(response.content)
    timed_gets.last = response.content
    return times, size


def p95(values):
    return sorted(values)[max(0, math.ceil(len(values) * 0.95) - 1)]


def throughput(url, headers=None, seconds=THROUGHPUT_SECONDS, clients=CLIENTS):
    """Tiles per second with `clients` concurrent loops for `seconds` (bounded by time and count)."""
    deadline = time.monotonic() + seconds

    def loop():
        session, done = requests.Session(), 0
        while time.monotonic() < deadline and done < 100_000:
            response = session.get(url, headers=headers, timeout=30)
            assert response.status_code == 200, response.status_code
            done += 1
        return done

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        total = sum(pool.map(lambda _: loop(), range(clients)))
    return total / (time.perf_counter() - started)


def prepare():
    """The scale database (built once) with the last day's track lines; returns (last day, database URL)."""
    built = scale_data.ensure(DB, grids=GRIDS, days=DAYS, point_days=1)
    if built:
        print(f"scale data built: {built}")
    url = scale_data.database_url(DB)
    last_day = scale_data.datetime.now(scale_data.TZ).date() - timedelta(days=1)
    import psycopg

    lo = scale_data.datetime(last_day.year, last_day.month, last_day.day, tzinfo=scale_data.TZ)
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        updated = conn.execute(_TRACKS, {"lo": lo, "hi": lo + timedelta(days=1), "day": last_day}).rowcount
        conn.commit()
        if updated:
            conn.execute("ANALYZE patrol")
            print(f"derived {updated} track lines for {last_day}")
    return last_day, url


def in_app(url, work):
    """Run work(app, admin) inside an app context on the bench database."""
    from patrol import create_app
    from patrol.auth.models import User
    from patrol.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        admin = db.session.execute(db.select(User).where(User.username == "bench-admin")).scalar_one()
        return work(app, admin)


def statistics_figures(url, last_day):
    """Month's compliance statistics (district) and the monthly XLSX report of the first street."""
    from patrol.patrols import stats
    from patrol.stats import render, reports

    def work(app, admin):
        first = last_day.replace(day=1) if last_day.day >= 28 else last_day - timedelta(days=DAYS - 1)
        times = []
        for _ in range(3):
            started = time.perf_counter()
            rows = stats.compliance_rows(admin, first, last_day, None, "grid")
            times.append((time.perf_counter() - started) * 1000)
        print(f"compliance statistics {first}..{last_day}, {len(rows)} grids: best {min(times):.0f} ms, "
              f"median {statistics.median(times):.0f} ms (target <= 200 ms)")  # fmt: skip
        with app.test_request_context():
            started = time.perf_counter()
            report = reports.build_report(admin, "month", last_day, code=f"{scale_data.DISTRICT}001")
            size = sum(len(chunk) for chunk in render.as_xlsx(report).response)
            seconds = time.perf_counter() - started
        rows = sum(len(t.rows) for t in report.tables)
        print(f"monthly XLSX report of street {report.area.code}: {seconds:.2f} s, {size / 1024:.0f} KB, "
              f"{rows} rows (target <= 5 s)")  # fmt: skip

    in_app(url, work)


def tile_figures(url, last_day):
    env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING"}
    ours_port, tipg_port = free_port(), free_port()
    gunicorn = [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{ours_port}", "wsgi:app"]
    ours = serve(gunicorn, env, f"http://127.0.0.1:{ours_port}/api/v1/health")
    tipg_env = {
        **env,
        "DATABASE_URL": url.replace("postgresql+psycopg://", "postgresql://"),
        "TIPG_DB_SCHEMAS": '["public"]',
        "TIPG_DB_TABLES": '["public.patrol"]',
    }
    tipg_cmd = [sys.executable, "-m", "uvicorn", "tipg.main:app", "--workers", "2", "--port", str(tipg_port)]
    tipg = serve(tipg_cmd, tipg_env, f"http://127.0.0.1:{tipg_port}/collections")
    try:
        session = requests.Session()
        login = session.post(
            f"http://127.0.0.1:{ours_port}/api/v1/auth/login",
            json={"username": "bench-admin", "password": scale_data.PASSWORD},
        )
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        x0, y0, x1, y1 = scale_data.grid_box(55)  # the middle of the first street block: grids all around
        x, y, z = tile_of((x0 + x1) / 2, (y0 + y1) / 2, 14)
        ours_url = f"http://127.0.0.1:{ours_port}/api/v1/tiles/tracks/{z}/{x}/{y}.mvt?date={last_day}"
        timed_gets(session, ours_url, 3, headers)
        times, size = timed_gets(session, ours_url, REQUESTS, headers)
        print(f"({feature_count(timed_gets.last, 'tracks')} tracks) ", end="")
        print(f"tracks z14 tile {z}/{x}/{y}: {size / 1024:.0f} KB, p50 {statistics.median(times):.1f} ms, "
              f"p95 {p95(times):.1f} ms, {REQUESTS} uncached requests, one client (target p95 <= 30 ms)")  # fmt: skip
        tipg_url = (
            f"http://127.0.0.1:{tipg_port}/collections/public.patrol/tiles/WebMercatorQuad/{z}/{x}/{y}"
            f"?geom-column=track&properties=id,grid_id,shift,valid&local_date={last_day}"
        )
        tipg_times, tipg_size = timed_gets(session, tipg_url, 5)
        print(f"TiPg same tile: {tipg_size / 1024:.0f} KB, p50 {statistics.median(tipg_times):.1f} ms")
        ours_rate = throughput(ours_url, headers)
        tipg_rate = throughput(tipg_url)
        print(f"throughput, {CLIENTS} clients for {THROUGHPUT_SECONDS:.0f} s each: ours {ours_rate:.0f} tiles/s, "
              f"TiPg {tipg_rate:.0f} tiles/s, ratio {ours_rate / tipg_rate:.2f} (target >= 1.5)")  # fmt: skip
        cx, cy = scale_data.ORIGIN[0] + 0.06, scale_data.ORIGIN[1] + 0.04
        x, y, z = tile_of(cx, cy, 12)
        for layer in ("tracks", "grids"):
            district_url = f"http://127.0.0.1:{ours_port}/api/v1/tiles/{layer}/{z}/{x}/{y}.mvt?date={last_day}"
            times, size = timed_gets(session, district_url, 5, headers)
            count = feature_count(timed_gets.last, layer)
            print(f"{layer} z12 tile {z}/{x}/{y} (district centre, {count} features): {size / 1024:.0f} KB, median "
                  f"{statistics.median(times):.0f} ms, max {max(times):.0f} ms (target <= 500 KB, 100 ms)")  # fmt: skip
    finally:
        stop(ours)
        stop(tipg)


def main():
    last_day, url = prepare()
    tile_figures(url, last_day)
    statistics_figures(url, last_day)


if __name__ == "__main__":
    main()
