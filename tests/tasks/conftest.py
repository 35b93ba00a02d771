"""Fixtures for the tasks tests: demo street, a department user and a few pushing helpers."""

import uuid
from datetime import timedelta

import pytest

from patrol.auth import service as auth
from patrol.localtime import today
from tests.conftest import DEMO_PASSWORD

FIRE_DEPARTMENT = 901
HEALTH_DEPARTMENT = 902


@pytest.fixture
def grids(demo):
    return {grid.code: grid for grid in demo["grids"]}


@pytest.fixture
def department(demo, login):
    auth.create_user("fire-dept", DEMO_PASSWORD, "department", "消防救援站", "330106010", department_id=FIRE_DEPARTMENT)
    return login("fire-dept")


@pytest.fixture
def health(demo, login):
    auth.create_user("health-dept", DEMO_PASSWORD, "department", "卫健办", "330106010", department_id=HEALTH_DEPARTMENT)
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
