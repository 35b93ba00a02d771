"""Scale data for benchmarks: N grids with areas, workers and assignments, D days of twice-daily
one-hour patrols with fixes every 5 s, bulk-loaded with COPY into a database of its own.

    python -m bench.scale_data --db gridpatrol_bench --grids 1000 --days 30 [--point-days 30]

or from code: `generate(database_url(name), grids=1000, days=30)`; other benchmarks (tiles,
reports) reuse `ensure(...)`, which builds the database only when it is missing or different.
"""

import argparse
import math
import os
import subprocess
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import psycopg

ROOT = Path(__file__).resolve().parent.parent
DISTRICT = "330106"
CELL = (0.0030, 0.0027)  # ~290 m × 300 m per grid
ORIGIN = (120.0, 30.0)
STEP_S = 5
NAMESPACE = uuid.UUID("5d0f5f8e-3b0a-4e0e-9a53-6b1f3c0f2a77")
PASSWORD = "bench-password-123"
TZ = ZoneInfo("Asia/Shanghai")


def database_url(name):
    """DATABASE_URL with its database name replaced by `name`."""
    base = os.environ.get("DATABASE_URL", "postgresql://gridpatrol@127.0.0.1:5432/gridpatrol")
    return base.rsplit("/", 1)[0] + "/" + name


def _psycopg_url(url):
    return url.replace("postgresql+psycopg://", "postgresql://")


def create_database(name):
    """(Re)create an empty PostGIS database and migrate it to the current schema."""
    subprocess.run(
        [str(ROOT / "deploy/provision-postgis.sh"), "--recreate", name], check=True, cwd=ROOT, stdout=subprocess.DEVNULL
    )
    from flask_migrate import upgrade

    from patrol import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url(name)})
    with app.app_context():
        upgrade(revision="head")
    return app


def grid_box(g):
    """Lon/lat box of grid number g: 100 grids per street block, 10 per community row."""
    street, rest = divmod(g, 100)
    community, k = divmod(rest, 10)
    x = (street % 4) * 10 + k
    y = (street // 4) * 10 + community
    x0, y0 = ORIGIN[0] + x * CELL[0], ORIGIN[1] + y * CELL[1]
    return x0, y0, x0 + CELL[0], y0 + CELL[1]


def _box_wkt(x0, y0, x1, y1):
    return f"SRID=4326;MULTIPOLYGON((({x0} {y0},{x1} {y0},{x1} {y1},{x0} {y1},{x0} {y0})))"


def codes(g):
    street, rest = divmod(g, 100)
    community, k = divmod(rest, 10)
    street_code = f"{DISTRICT}{street + 1:03d}"
    community_code = f"{street_code}{community + 1:03d}"
    return street_code, community_code, f"{community_code}{k + 1:03d}"


def _load_areas(conn, grids):
    streets, communities, grid_rows = {}, {}, []
    for g in range(grids):
        s, c, code = codes(g)
        box = grid_box(g)
        for table, key in ((streets, s), (communities, c)):
            old = table.get(key)
            table[key] = (
                box
                if old is None
                else (min(old[0], box[0]), min(old[1], box[1]), max(old[2], box[2]), max(old[3], box[3]))
            )
        grid_rows.append((code, box))
    with conn.cursor() as cur:
        for level, rows, parent_len in (
            ("street", streets.items(), None),
            ("community", communities.items(), 9),
            ("grid", grid_rows, 12),
        ):
            cur.executemany(
                "INSERT INTO area (code, name, level, parent_id, district_code, households, geom) "
                "VALUES (%s, %s, %s, (SELECT id FROM area WHERE code = %s), %s, 400, ST_GeomFromEWKT(%s))",
                [
                    (
                        code,
                        f"{level} {code}",
                        level,
                        code[:parent_len] if parent_len else None,
                        DISTRICT,
                        _box_wkt(*box),
                    )
                    for code, box in rows
                ],
            )


def _load_people(conn, grids, first_day):
    from patrol.auth.passwords import hash_password

    digest = hash_password(PASSWORD)
    with conn.cursor() as cur:
        cur.execute(
            "INSERT INTO app_user (username, full_name, password_hash, role, area_id) "
            "SELECT 'bench-w' || g, 'worker ' || g, %s, 'worker', c.id "
            "FROM generate_series(0, %s - 1) g JOIN area c ON c.level = 'community' AND c.code = "
            "(SELECT substr(code, 1, 12) FROM area WHERE level = 'grid' ORDER BY code OFFSET g LIMIT 1)",
            (digest, grids),
        )
        cur.execute(
            "INSERT INTO grid_assignment (user_id, grid_id, start_date) "
            "SELECT u.id, gr.id, %s FROM app_user u JOIN "
            "(SELECT id, row_number() OVER (ORDER BY code) - 1 AS n FROM area WHERE level = 'grid') gr "
            "ON u.username = 'bench-w' || gr.n",
            (first_day - timedelta(days=1),),
        )
        cur.execute(
            "INSERT INTO app_user (username, full_name, password_hash, role)"
            " VALUES ('bench-admin', 'admin', %s, 'admin')",
            (digest,),
        )


def patrol_id(g, day, shift):
    return uuid.uuid5(NAMESPACE, f"{g}:{day}:{shift}")


def walk(g, started_at, rng, minutes=60):
    """Fix times (epoch s), lon and lat: a lane-sweeping walk inside grid g at 1.0–1.5 m/s with noise."""
    x0, y0, x1, y1 = grid_box(g)
    lat = (y0 + y1) / 2
    m_lon, m_lat = 111_320 * math.cos(math.radians(lat)), 110_574
    width, height = (x1 - x0) * m_lon - 40, (y1 - y0) * m_lat - 40
    lanes = 6
    speed = rng.uniform(1.0, 1.5)
    n = minutes * 60 // STEP_S
    s = np.arange(n) * STEP_S * speed
    lane_len = height + width / (lanes - 1)
    lane = (s // lane_len).astype(int) % (2 * lanes)
    along = s % lane_len
    lane = np.where(lane < lanes, lane, 2 * lanes - 1 - lane)
    ys = np.minimum(along, height)
    ys = np.where(lane % 2 == 0, ys, height - ys)
    xs = lane * width / (lanes - 1) + np.maximum(along - height, 0)
    lon = x0 + (20 + xs + rng.normal(0, 3, n)) / m_lon
    lat_ = y0 + (20 + ys + rng.normal(0, 3, n)) / m_lat
    return started_at.timestamp() + np.arange(n) * STEP_S, lon, lat_


def _patrol_rows(grids, days):
    rng = np.random.default_rng(7)
    for day in days:
        for g in range(grids):
            for shift, hour in (("am", 8), ("pm", 15)):
                started = datetime(day.year, day.month, day.day, hour, tzinfo=TZ) + timedelta(
                    minutes=int(rng.integers(0, 90))
                )
                minutes = 60 if rng.random() > 0.08 else 12
                yield g, day, shift, started, minutes


def _copy_patrols(conn, grids, days, grid_ids, worker_ids):
    now = datetime.now(UTC)
    with (
        conn.cursor() as cur,
        cur.copy(
            "COPY patrol (id, worker_id, grid_id, district_code, local_date, shift, source, started_at, ended_at,"
            " point_count, clean_count, distance_m, duration_s, moving_s, inside_share, coverage, valid,"
            " invalid_reasons, computed_at) FROM STDIN"
        ) as copy,
    ):
        for g, day, shift, started, minutes in _patrol_rows(grids, days):
            n = minutes * 12
            short = minutes < 20
            copy.write_row(
                (
                    patrol_id(g, day, shift),
                    worker_ids[g],
                    grid_ids[g],
                    DISTRICT,
                    day,
                    shift,
                    "pwa",
                    started,
                    started + timedelta(minutes=minutes),
                    n,
                    n,
                    minutes * 60 * 1.2,
                    minutes * 60 - 5,
                    minutes * 60 - 60,
                    0.97,
                    0.15 if short else 0.55,
                    not short,
                    ["too_short", "low_coverage"] if short else [],
                    now,
                )
            )


def _copy_points(conn, grids, days):
    rng = np.random.default_rng(11)
    total = 0
    with (
        conn.cursor() as cur,
        cur.copy(
            "COPY track_point (patrol_id, fix_time, district_code, geom, accuracy, speed, heading, flag) FROM STDIN"
        ) as copy,
    ):
        for g, day, shift, started, minutes in _patrol_rows(grids, days):
            times, lon, lat = walk(g, started, rng, minutes)
            stamps = np.datetime_as_string((times * 1000).astype("datetime64[ms]"), timezone="UTC")
            pid = str(patrol_id(g, day, shift))
            copy.write(
                "".join(
                    f"{pid}\t{t}\t{DISTRICT}\tSRID=4326;POINT({x:.7f} {y:.7f})\t6\t1.2\t\\N\t0\n"
                    for t, x, y in zip(stamps, lon, lat, strict=True)
                )
            )
            total += times.size
    return total


def generate(name, grids=1000, days=30, point_days=None, last_day=None):
    """Build database `name` from scratch; returns a summary dict (counts and seconds)."""
    point_days = days if point_days is None else point_days
    last_day = last_day or (datetime.now(TZ).date() - timedelta(days=1))
    all_days = [last_day - timedelta(days=n) for n in range(days - 1, -1, -1)]
    started = time.perf_counter()
    app = create_database(name)
    with app.app_context(), psycopg.connect(_psycopg_url(database_url(name))) as conn:
        _load_areas(conn, grids)
        _load_people(conn, grids, all_days[0])
        grid_ids = [r[0] for r in conn.execute("SELECT id FROM area WHERE level = 'grid' ORDER BY code")]
        worker_ids = [
            r[0]
            for r in conn.execute(
                "SELECT u.id FROM app_user u WHERE role = 'worker' ORDER BY substring(username from 8)::int"
            )
        ]
        _ensure_partitions(conn, all_days)
        _copy_patrols(conn, grids, all_days, grid_ids, worker_ids)
        conn.commit()
        loaded = time.perf_counter()
        points = _copy_points(conn, grids, all_days[-point_days:]) if point_days else 0
        conn.commit()
        copied = time.perf_counter()
        conn.execute("ANALYZE")
        conn.execute("CREATE TABLE IF NOT EXISTS bench_marker (spec text)")
        conn.execute("INSERT INTO bench_marker VALUES (%s)", (_spec(grids, days, point_days, last_day),))
        conn.commit()
    return {
        "grids": grids,
        "days": days,
        "patrols": grids * days * 2,
        "points": points,
        "areas_people_patrols_s": round(loaded - started, 1),
        "points_s": round(copied - loaded, 1),
        "points_per_s": round(points / max(copied - loaded, 1e-9)),
    }


def _spec(grids, days, point_days, last_day):
    return f"grids={grids} days={days} point_days={point_days} last_day={last_day}"


def _ensure_partitions(conn, days):
    first = datetime(days[0].year, days[0].month, 1, tzinfo=UTC) - timedelta(days=1)
    month = date(first.year, first.month, 1)
    end = days[-1] + timedelta(days=32)
    while month <= end:
        nxt = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
        name = f"track_point_y{month.year:04d}m{month.month:02d}"
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF track_point "
            f"FOR VALUES FROM ('{month}T00:00:00+00') TO ('{nxt}T00:00:00+00')"
        )
        month = nxt


def ensure(name, grids=1000, days=30, point_days=None, last_day=None):
    """Reuse database `name` when it was built with the same parameters; otherwise generate it."""
    point_days = days if point_days is None else point_days
    last_day = last_day or (datetime.now(TZ).date() - timedelta(days=1))
    try:
        with psycopg.connect(_psycopg_url(database_url(name)), connect_timeout=5) as conn:
            spec = conn.execute("SELECT spec FROM bench_marker").fetchone()
        if spec and spec[0] == _spec(grids, days, point_days, last_day):
            return None
    except psycopg.Error:
        pass
    return generate(name, grids, days, point_days, last_day)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=os.environ.get("BENCH_DB_NAME", "gridpatrol_bench"))
    parser.add_argument("--grids", type=int, default=1000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--point-days", type=int, default=None, help="days that get track points (default: all)")
    args = parser.parse_args(argv)
    print(generate(args.db, args.grids, args.days, args.point_days))


if __name__ == "__main__":
    main()
