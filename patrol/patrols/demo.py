"""Demo patrols: 30 days of twice-daily walks along the lanes of each demo grid, with GPS noise,
jumps, gaps, a few invalid patrols and missed shifts. Idempotent; points go in with one COPY."""

import math
import random
import uuid
from datetime import timedelta

import numpy as np
from shapely.geometry import Point
from sqlalchemy import select

from patrol.extensions import db
from patrol.geo import from_db
from patrol.localtime import local_midnight, utcnow
from patrol.patrols import queries
from patrol.patrols.models import Patrol
from patrol.patrols.partitions import ensure_partitions

STEP_S = 5
LANE_M = 60.0
NAMESPACE = uuid.UUID("0b5c3f4e-62a7-4c39-9d1f-3f0d6c1e7a11")


def _lanes(polygon, rng):
    """Street nodes: a jittered lattice inside the grid, with their neighbours (the lanes between)."""
    minx, miny, maxx, maxy = polygon.bounds
    lat0 = (miny + maxy) / 2
    dx, dy = LANE_M / (111_320 * math.cos(math.radians(lat0))), LANE_M / 110_574
    inner = polygon.buffer(-min(dx, dy) * 0.3)
    nodes = {}
    for i in range(int((maxx - minx) / dx) + 1):
        for j in range(int((maxy - miny) / dy) + 1):
            x, y = minx + (i + 0.5) * dx, miny + (j + 0.5) * dy
            if inner.contains(Point(x, y)):
                nodes[(i, j)] = (x + rng.uniform(-0.1, 0.1) * dx, y + rng.uniform(-0.1, 0.1) * dy)
    links = {
        n: [m for m in ((n[0] + 1, n[1]), (n[0] - 1, n[1]), (n[0], n[1] + 1), (n[0], n[1] - 1)) if m in nodes]
        for n in nodes
    }
    return nodes, links, (dx / LANE_M, dy / LANE_M)


def _route(nodes, links, rng, legs):
    """A walk along lanes that prefers streets not yet walked."""
    current = rng.choice(sorted(nodes))
    seen = {current}
    path, previous = [nodes[current]], None
    for _ in range(legs):
        options = [m for m in links[current] if m != previous] or links[current]
        if not options:
            break
        fresh = [m for m in options if m not in seen]
        previous, current = current, rng.choice(fresh if fresh and rng.random() < 0.8 else options)
        seen.add(current)
        path.append(nodes[current])
    return np.array(path)


def _sample(path, speed, seconds, deg_per_m, rng):
    """Positions every STEP_S seconds walking the path at `speed` m/s, with GPS noise and jumps."""
    metres = np.column_stack([path[:, 0] / deg_per_m[0], path[:, 1] / deg_per_m[1]])
    cumulative = np.concatenate([[0], np.cumsum(np.hypot(*np.diff(metres, axis=0).T))])
    wanted = np.minimum(np.arange(0, seconds, STEP_S) * speed, cumulative[-1])
    lon = np.interp(wanted, cumulative, path[:, 0])
    lat = np.interp(wanted, cumulative, path[:, 1])
    nprng = np.random.default_rng(rng.randrange(2**32))
    lon += nprng.normal(0, 3.0, lon.size) * deg_per_m[0]
    lat += nprng.normal(0, 3.0, lat.size) * deg_per_m[1]
    accuracy = nprng.uniform(4, 14, lon.size)
    jumps = nprng.random(lon.size) < 0.004
    lon[jumps] += nprng.uniform(150, 300, jumps.sum()) * deg_per_m[0]
    poor = nprng.random(lon.size) < 0.01
    accuracy[poor] = nprng.uniform(60, 120, poor.sum())
    return lon, lat, accuracy


def _plan(rng):
    """(kind, minutes) for one shift: most are ordinary, a few short, outside or missed."""
    roll = rng.random()
    if roll < 0.06:
        return "missed", 0
    if roll < 0.10:
        return "short", rng.uniform(8, 15)
    if roll < 0.13:
        return "outside", rng.uniform(30, 45)
    return "ordinary", rng.uniform(35, 65)


def _patrol_rows(worker, grid, day, shift, geometry, rng):
    kind, minutes = _plan(rng)
    if kind == "missed":
        return None, None
    hour = rng.uniform(7.5, 10.5) if shift == "am" else rng.uniform(14, 17.5)
    started_at = local_midnight(day) + timedelta(hours=hour)
    if started_at + timedelta(minutes=minutes) > utcnow():
        return None, None
    nodes, links, deg_per_m = geometry
    speed = rng.uniform(1.0, 1.5)
    path = _route(nodes, links, rng, int(minutes * 60 * speed / LANE_M) + 2)
    if kind == "outside":
        path = path + np.array([4.5 * LANE_M * deg_per_m[0], 0])
    lon, lat, accuracy = _sample(path, speed, minutes * 60, deg_per_m, rng)
    times = started_at.timestamp() + np.arange(lon.size) * STEP_S
    keep = np.ones(lon.size, dtype=bool)
    if rng.random() < 0.3:  # the phone lost the fix for a few minutes
        gap_start = rng.randrange(lon.size // 4, lon.size * 3 // 4)
        keep[gap_start : gap_start + rng.randrange(36, 72)] = False
    patrol = {
        "id": uuid.uuid5(NAMESPACE, f"{grid.code}:{day}:{shift}"),
        "worker_id": worker.id,
        "grid_id": grid.id,
        "district_code": grid.district_code,
        "local_date": day,
        "shift": shift,
        "source": "pwa",
        "started_at": started_at,
        "ended_at": started_at + timedelta(seconds=float(times[keep][-1] - times[0])),
    }
    return patrol, (times[keep], lon[keep], lat[keep], accuracy[keep], speed)


def _copy_points(batches):
    raw = db.session.connection().connection.driver_connection
    with (
        raw.cursor() as cursor,
        cursor.copy(
            "COPY track_point (patrol_id, fix_time, district_code, geom, accuracy, speed, heading, flag) FROM STDIN"
        ) as copy,
    ):
        for patrol, (times, lon, lat, accuracy, speed) in batches:
            pid, district = str(patrol["id"]), patrol["district_code"]
            stamps = np.datetime_as_string((times * 1000).astype("datetime64[ms]"), timezone="UTC")
            lines = [
                f"{pid}\t{t}\t{district}\tSRID=4326;POINT({x:.7f} {y:.7f})\t{a:.1f}\t{speed:.2f}\t\\N\t"
                f"{1 if a > 50 else 0}\n"
                for t, x, y, a in zip(stamps, lon, lat, accuracy, strict=True)
            ]
            copy.write("".join(lines))


def seed(context):
    """Add the demo patrols that are missing (a second run adds nothing)."""
    existing = set(db.session.execute(select(Patrol.id).where(Patrol.local_date >= context.first_day)).scalars())
    patrols, batches = [], []
    for worker, grid in context.workers:
        rng = random.Random(f"patrols:{grid.code}")
        geometry = _lanes(from_db(grid.geom).geoms[0], rng)
        for day in context.days:
            for shift in ("am", "pm"):
                day_rng = random.Random(f"{grid.code}:{day}:{shift}")
                patrol, points = _patrol_rows(worker, grid, day, shift, geometry, day_rng)
                if patrol is None or patrol["id"] in existing:
                    continue
                patrols.append(patrol)
                batches.append((patrol, points))
    if not patrols:
        return 0
    ensure_partitions(min(p["started_at"] for p in patrols), max(p["ended_at"] for p in patrols))
    db.session.execute(Patrol.__table__.insert(), patrols)
    _copy_points(batches)
    queries.refresh_figures([p["id"] for p in patrols])
    db.session.commit()
    return len(patrols)
