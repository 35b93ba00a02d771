"""The tasks demo seeder: works without patrol history, and a second run changes nothing."""

from datetime import timedelta

from sqlalchemy import text

from patrol.demo import DemoContext
from patrol.extensions import db
from patrol.localtime import today
from patrol.tasks import demo as tasks_demo
from tests.conftest import DEMO_PASSWORD

TABLES = (
    "task",
    "task_item",
    "key_place",
    "task_duty_change",
    "task_worker_budget",
    "patrol_participant",
    "audit_entry",
)


def counts():
    return {table: db.session.execute(text(f"SELECT count(*) FROM {table}")).scalar() for table in TABLES}


def test_demo_seed_is_idempotent(demo):
    context = DemoContext(password=DEMO_PASSWORD, first_day=today() - timedelta(days=29), last_day=today())
    context.workers = demo["workers"]
    tasks_demo.seed(context)
    first = counts()
    assert first["key_place"] == 36 and first["task"] == 5
    statuses = dict(db.session.execute(text("SELECT status, count(*) FROM task GROUP BY status")).all())
    assert statuses == {"active": 2, "proposed": 2, "refused": 1}
    over = db.session.execute(text("SELECT count(*) FROM task WHERE over_budget IS NOT NULL")).scalar()
    assert over == 1
    tasks_demo.seed(context)
    assert counts() == first
