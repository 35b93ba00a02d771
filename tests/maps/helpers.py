"""Data for map and statistics tests, made through the features' APIs: walked patrols and reported incidents."""

import math
import uuid
from datetime import datetime, time, timedelta

from sqlalchemy import func, select

from patrol.areas.models import Area
from patrol.extensions import db
from patrol.localtime import today, tz

FIRST_GRID = "330106010001001"  # demo-worker's grid
SECOND_GRID = "330106010001002"  # demo-worker2's grid
OTHER_COMMUNITY_GRID = "330106010002001"  # demo-worker5's grid, outside demo-community


def grid(code):
    """The grid area row."""
    return db.session.execute(select(Area).where(Area.code == code)).scalar_one()


def grid_box(code):
    """(xmin, ymin, xmax, ymax) of the grid."""
    geom = select(Area.geom).where(Area.code == code).scalar_subquery()
    return db.session.execute(
        select(func.ST_XMin(geom), func.ST_YMin(geom), func.ST_XMax(geom), func.ST_YMax(geom))
    ).one()


def zigzag(code, lanes=5, steps=16, shrink=0.18):
    """Points of a walk up and down `lanes` lanes across the middle of the grid."""
    xmin, ymin, xmax, ymax = grid_box(code)
    dx, dy = (xmax - xmin) * shrink, (ymax - ymin) * shrink
    xmin, xmax, ymin, ymax = xmin + dx, xmax - dx, ymin + dy, ymax - dy
    points = []
    for lane in range(lanes):
        x = xmin + (xmax - xmin) * lane / (lanes - 1)
        ys = [ymin + (ymax - ymin) * s / steps for s in range(steps + 1)]
        points.extend((x, y) for y in (ys if lane % 2 == 0 else reversed(ys)))
    # A real walk wobbles by a few metres: that is what simplification at low zoom removes.
    return [(x + 0.00006 * math.sin(i), y) for i, (x, y) in enumerate(points)]


def local_moment(day, hour, minute=0):
    """An aware datetime at local hh:mm of the day."""
    return datetime.combine(day, time(hour, minute), tzinfo=tz())


def walk(worker, code, start, minutes=40):
    """A patrol walked by `worker` (an ApiClient) over the grid from `start`, finished; returns its id."""
    patrol_id = str(uuid.uuid4())
    response = worker.post(
        "/api/v1/patrols", json={"id": patrol_id, "grid_id": grid(code).id, "started_at": start.isoformat()}
    )
    assert response.status_code in (200, 201), response.get_json()
    route = zigzag(code)
    step = minutes * 60 / (len(route) - 1)
    t0 = int(start.timestamp() * 1000)
    points = [[t0 + int(i * step * 1000), x, y, 8, 1.1, None] for i, (x, y) in enumerate(route)]
    response = worker.post(f"/api/v1/patrols/{patrol_id}/points", json={"points": points})
    assert response.status_code in (200, 201), response.get_json()
    end = start + timedelta(minutes=minutes)
    response = worker.post(f"/api/v1/patrols/{patrol_id}/finish", json={"ended_at": end.isoformat()})
    assert response.status_code == 200, response.get_json()
    return patrol_id


def yesterday():
    return today() - timedelta(days=1)


def point_in(code, fx=0.5, fy=0.5):
    """A GeoJSON point at the fraction (fx, fy) of the grid's bounding box (inside for the demo's near-rectangles)."""
    xmin, ymin, xmax, ymax = grid_box(code)
    return {"type": "Point", "coordinates": [xmin + (xmax - xmin) * fx, ymin + (ymax - ymin) * fy]}


def report(client, code, category="0602", reported_at=None, fx=0.5, fy=0.5):
    """An incident reported through the API; returns its id."""
    body = {"id": str(uuid.uuid4()), "location": point_in(code, fx, fy), "category": category}
    if reported_at is not None:
        body["reported_at"] = reported_at.isoformat()
    response = client.post("/api/v1/incidents", json=body)
    assert response.status_code in (200, 201), response.get_json()
    return body["id"]
