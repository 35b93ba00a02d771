"""Identical creates sent at once: one is stored, the others answer 409 (or 200 as a replay), never 500."""

import threading
import uuid
from datetime import date

from sqlalchemy import func, select

from patrol.areas.models import GridAssignment
from patrol.auth.models import User
from patrol.extensions import db
from patrol.incidents import catalog
from patrol.incidents.models import Department
from patrol.tasks.models import Task
from tests.tasks.conftest import list_type, task_body

PARALLEL = 6


def race(app, api, path, body):
    """POST the same body from PARALLEL threads released together; -> their status codes."""
    barrier = threading.Barrier(PARALLEL)
    statuses = []

    def send():
        client = app.test_client()
        barrier.wait()
        statuses.append(client.post(path, json=body, headers=api.headers).status_code)

    threads = [threading.Thread(target=send) for _ in range(PARALLEL)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(statuses) == PARALLEL
    return statuses


def _count(model, *where):
    db.session.rollback()  # see what the request threads committed
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar()


def test_concurrent_task_pushes_of_one_id_store_one_task_and_replay(app, demo, login):
    street = login("demo-street")
    list_type(street)
    body = task_body([demo["grids"][0].id])
    statuses = race(app, street, "/api/v1/tasks", body)
    assert statuses.count(201) == 1 and set(statuses) <= {200, 201}, statuses
    assert _count(Task, Task.id == uuid.UUID(body["id"])) == 1


def test_concurrent_user_creates_of_one_username_store_one_user(app, demo, login):
    community = login("demo-community")
    body = {
        "username": "twin-worker",
        "password": "long-enough-password",
        "full_name": "同名",
        "role": "worker",
        "area_code": demo["grids"][0].code[:12],
    }
    statuses = race(app, community, "/api/v1/users", body)
    assert statuses.count(201) == 1 and set(statuses) <= {201, 409}, statuses
    assert _count(User, User.username == "twin-worker") == 1


def test_concurrent_department_creates_of_one_code_store_one_department(app, demo, login):
    catalog.seed_categories()
    admin = login("demo-admin")
    for body in (
        {"street_code": "330106010", "code": "twins", "name": "同码"},
        {"city_wide": True, "code": "twins2", "name": "全市"},
    ):
        statuses = race(app, admin, "/api/v1/incidents/departments", body)
        assert statuses.count(201) == 1 and set(statuses) <= {201, 409}, (body, statuses)
        assert _count(Department, Department.code == body["code"]) == 1


def test_concurrent_identical_grid_assignments_store_one(app, demo, login):
    community = login("demo-community")
    worker_id = login("demo-worker").get("/api/v1/auth/me").get_json()["id"]
    grid = demo["grids"][1]
    body = {"worker_id": worker_id, "start_date": "2031-01-01", "end_date": "2031-01-31"}
    statuses = race(app, community, f"/api/v1/areas/{grid.id}/assignments", body)
    assert statuses.count(201) == 1 and set(statuses) <= {201, 409}, statuses
    held = (GridAssignment.user_id == worker_id, GridAssignment.grid_id == grid.id)
    assert _count(GridAssignment, *held, GridAssignment.start_date == date(2031, 1, 1)) == 1
