"""Track builders for patrol tests: walks inside a demo grid at a known pace."""

import math
import uuid
from datetime import datetime, time, timedelta

from shapely.geometry import Point

from patrol.geo import from_db
from patrol.localtime import local_midnight, today


def local_time(days_ago, clock):
    """An aware datetime `days_ago` local days back at the local clock time."""
    day = today() - timedelta(days=days_ago)
    return local_midnight(day).replace(hour=clock.hour, minute=clock.minute)


def _serpentine(width, height, lane):
    """Waypoints (metres from the centre) sweeping a width × height box in lanes `lane` apart."""
    points = []
    lanes = int(width // lane) + 1
    for k in range(lanes):
        x = -width / 2 + k * lane
        ys = (-height / 2, height / 2) if k % 2 == 0 else (height / 2, -height / 2)
        points.extend([(x, ys[0]), (x, ys[1])])
    return points


def _position(waypoints, distance):
    """Where a walker is after `distance` metres going back and forth along the waypoints."""
    legs = [math.dist(a, b) for a, b in zip(waypoints, waypoints[1:], strict=False)]
    total = sum(legs)
    distance %= 2 * total
    if distance > total:
        distance = 2 * total - distance
    for (a, b), leg in zip(zip(waypoints, waypoints[1:], strict=False), legs, strict=True):
        if distance <= leg:
            f = distance / leg
            return a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f
        distance -= leg
    return waypoints[-1]


def walk(grid, start: datetime, minutes=60, step_s=5, speed=1.2, width=180.0, height=480.0, lane=50.0):
    """Rows [t_ms, lon, lat, acc, speed, heading] sweeping the grid's middle in lanes at a steady pace."""
    centre = from_db(grid.geom).centroid
    m_lon = 111_320.0 * math.cos(math.radians(centre.y))
    m_lat = 110_574.0
    waypoints = _serpentine(width, height, lane)
    rows = []
    for n in range(int(minutes * 60 / step_s)):
        x, y = _position(waypoints, n * step_s * speed)
        t = start + timedelta(seconds=n * step_s)
        rows.append([int(t.timestamp() * 1000), centre.x + x / m_lon, centre.y + y / m_lat, 5.0, speed, None])
    return rows


def new_id():
    return str(uuid.uuid4())


def start_body(grid_id, started_at, patrol_id=None):
    return {"id": patrol_id or new_id(), "grid_id": grid_id, "started_at": started_at.isoformat()}


def end_of(rows):
    return datetime.fromtimestamp(rows[-1][0] / 1000).astimezone()


AM = time(9, 0)
PM = time(15, 0)
__all__ = ["Point", "local_time", "walk", "new_id", "start_body", "end_of", "AM", "PM"]
