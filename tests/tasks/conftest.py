"""Fixtures for the tasks tests: demo street, a department user and a few pushing helpers."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from patrol.auth import service as auth
from patrol.localtime import local_midnight, today
from tests.conftest import DEMO_PASSWORD


def _department(code, name):
    from sqlalchemy import select

    from patrol.areas.models import Area
    from patrol.extensions import db
    from patrol.incidents.models import Department

    street_id = db.session.execute(select(Area.id).where(Area.code == "330106010")).scalar_one()
    department = Department(street_id=street_id, code=code, name=name)
    db.session.add(department)
    db.session.commit()
    return department.id


@pytest.fixture
def grids(demo):
    return {grid.code: grid for grid in demo["grids"]}


@pytest.fixture
def department(demo, login):
    fire = _department("xiaofang", "消防救援站")
    auth.create_user("fire-dept", DEMO_PASSWORD, "department", "消防救援站", "330106010", department_id=fire)
    return login("fire-dept")


@pytest.fixture
def health(demo, login):
    health = _department("weijian", "卫健办")
    auth.create_user("health-dept", DEMO_PASSWORD, "department", "卫健办", "330106010", department_id=health)
    return login("health-dept")


@pytest.fixture
def street(demo, login):
    return login("demo-street")


def task_body(grid_ids, type_code="fire_check", **extra):
    body = {
        "id": str(uuid.uuid4()),
        "type": type_code,
        "grid_ids": list(grid_ids),
        "due_date": (today() + timedelta(days=4)).isoformat(),
        "instruction": "检查出租房灭火器 / check the fire extinguishers",
    }
    body.update(extra)
    return body


def push(api, grid_ids, type_code="fire_check", status=201, **extra):
    response = api.post("/api/v1/tasks", json=task_body(grid_ids, type_code, **extra))
    assert response.status_code == status, response.get_json()
    return response.get_json()


def list_type(street_api, code="fire_check", name="消防安全检查", minutes=30, fulfil_by=None):
    response = street_api.put(
        f"/api/v1/tasks/duty-list/{code}", json={"name": name, "minutes": minutes, "fulfil_by": fulfil_by}
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def line_walk(start, from_lon_lat, to_lon_lat, seconds=180, step_s=5):
    """Fix rows [t_ms, lon, lat, acc, speed, heading] walking straight from one point to another."""
    steps = seconds // step_s
    rows = []
    for n in range(steps + 1):
        f = n / steps
        lon = from_lon_lat[0] + (to_lon_lat[0] - from_lon_lat[0]) * f
        lat = from_lon_lat[1] + (to_lon_lat[1] - from_lon_lat[1]) * f
        moment = start + timedelta(seconds=n * step_s)
        rows.append([int(moment.timestamp() * 1000), round(lon, 7), round(lat, 7), 5.0, 1.1, None])
    return rows


def record_patrol(worker_api, grid_id, start, rows, patrol_id=None):
    """A patrol through the patrols HTTP API: start, one batch of fixes, finish at the last fix."""
    patrol_id = patrol_id or str(uuid.uuid4())
    started = worker_api.post(
        "/api/v1/patrols", json={"id": patrol_id, "grid_id": grid_id, "started_at": start.isoformat()}
    )
    assert started.status_code == 201, started.get_json()
    points = worker_api.post(f"/api/v1/patrols/{patrol_id}/points", json={"points": rows})
    assert points.status_code == 200, points.get_json()
    ended_at = datetime.fromtimestamp(rows[-1][0] / 1000, UTC)
    finished = worker_api.post(f"/api/v1/patrols/{patrol_id}/finish", json={"ended_at": ended_at.isoformat()})
    assert finished.status_code == 200, finished.get_json()
    return patrol_id


def recent_start(minutes_ago=10):
    """A start time today (local), a few minutes back."""
    return max(datetime.now(UTC) - timedelta(minutes=minutes_ago), local_midnight(today()) + timedelta(seconds=1))


def day_start(days_ago, hour=9):
    return local_midnight(today() - timedelta(days=days_ago)) + timedelta(hours=hour)
