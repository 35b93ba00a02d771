"""The demo seeder: volume, variety, idempotence and speed."""

import time
from datetime import timedelta

from sqlalchemy import func, select

from patrol.demo import DemoContext
from patrol.extensions import db
from patrol.incidents import demo as incident_demo
from patrol.incidents.models import Incident, IncidentEvent
from patrol.localtime import today
from patrol.photos.models import PhotoUse
from tests.conftest import DEMO_PASSWORD


def count(model):
    return db.session.execute(select(func.count()).select_from(model)).scalar()


def test_demo_seed_is_varied_idempotent_and_fast(demo, login):
    context = DemoContext(password=DEMO_PASSWORD, first_day=today() - timedelta(days=29), last_day=today())
    context.workers = demo["workers"]
    started = time.monotonic()
    incident_demo.seed(context)
    elapsed = time.monotonic() - started
    assert elapsed < 10, elapsed
    incidents = count(Incident)
    assert 90 <= incidents <= 200  # ~0.4 × 12 grids × 30 days = 144
    statuses = dict(db.session.execute(select(Incident.status, func.count()).group_by(Incident.status)).all())
    assert "closed" in statuses and "rejected" in statuses
    assert len({"reported", "accepted", "dispatched", "in_progress", "resolved"} & set(statuses)) >= 4, statuses
    assert statuses["closed"] > incidents / 3
    reworked = db.session.execute(select(func.count()).where(Incident.rework_count > 0)).scalar()
    on_spot = db.session.execute(select(func.count()).where(Incident.handled_on_spot)).scalar()
    departments = db.session.execute(select(func.count(func.distinct(Incident.department_id)))).scalar()
    assert reworked >= 2 and on_spot >= 3 and departments >= 4
    late = db.session.execute(
        select(func.count()).where(
            Incident.due_at.isnot(None), func.coalesce(Incident.closed_at, func.now()) > Incident.due_at
        )
    ).scalar()
    assert late >= 5
    assert count(PhotoUse) >= 5
    events = count(IncidentEvent)
    incident_demo.seed(context)
    assert (count(Incident), count(IncidentEvent)) == (incidents, events)
    street = login("demo-street")
    stats = street.get(f"/api/v1/stats/incidents?from={context.first_day}&to={context.last_day}").get_json()
    assert stats[-1]["reported"] == incidents
    assert 0 < stats[-1]["on_time_close_rate"] < 1
    handler = login("demo-chengguan")
    assert handler.get("/api/v1/incidents").get_json()["items"]
