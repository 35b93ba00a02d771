"""A prepared day (yesterday) on the demo street: patrols, incidents through the workflow at set times, a visit."""

import uuid
from datetime import timedelta

import pytest

from patrol.incidents import workflow
from tests.incidents.helpers import setup_departments
from tests.maps import helpers
from tests.people.helpers import GRID_1, person_body, point


class Clock:
    """The workflow's clock, set by the test so that actions happen at chosen times of the prepared day."""

    def __init__(self):
        self.now = None

    def __call__(self):
        return self.now


@pytest.fixture
def prepared_day(demo, login, monkeypatch):
    """Yesterday: grid 001 patrolled twice (compliant), grid 2001 once; incidents A (12-hour deadline, closed on time),
    B (4-hour deadline, still dispatched: overdue) and C (only reported); one visit in grid 001."""
    departments = setup_departments()
    day = helpers.yesterday()
    at = lambda hour, minute=0: helpers.local_moment(day, hour, minute)  # noqa: E731
    worker, worker5 = login("demo-worker"), login("demo-worker5")
    street, handler, community = login("demo-street"), login("dept-chengguan"), login("demo-community")
    helpers.walk(worker, helpers.FIRST_GRID, at(8))
    helpers.walk(worker, helpers.FIRST_GRID, at(14))
    helpers.walk(worker5, helpers.OTHER_COMMUNITY_GRID, at(9))
    a = helpers.report(worker, helpers.FIRST_GRID, "0403", reported_at=at(9))
    b = helpers.report(worker5, helpers.OTHER_COMMUNITY_GRID, "0103", reported_at=at(10))
    c = helpers.report(worker, helpers.SECOND_GRID, "0602", reported_at=at(11), fx=0.4, fy=0.4)
    clock = Clock()
    monkeypatch.setattr(workflow, "utcnow", clock)
    for incident, client, action, moment in (
        (a, street, "accept", at(9, 10)),
        (a, street, "dispatch", at(9, 20)),
        (a, handler, "resolve", at(11)),
        (a, street, "close", at(12)),
        (b, street, "accept", at(10, 10)),
        (b, street, "dispatch", at(10, 20)),
    ):
        clock.now = moment
        body = {"action": action, "note": "处理完毕" if action == "resolve" else None}
        if action == "dispatch":
            body["department_id"] = departments["chengguan"]
        response = client.post(f"/api/v1/incidents/{incident}/actions", json=body)
        assert response.status_code == 200, response.get_json()
    monkeypatch.undo()
    person = community.post("/api/v1/people", json=person_body(7, where=GRID_1))
    assert person.status_code == 201, person.get_json()
    visit = {
        "id": str(uuid.uuid4()),
        "person_id": person.get_json()["id"],
        "visited_at": at(10).isoformat(),
        "location": point(GRID_1),
        "method": "入户",
        "condition": "正常",
    }
    assert worker.post("/api/v1/visits", json=visit).status_code == 201
    return {"day": day, "a": a, "b": b, "c": c, "at": at, "week_start": day - timedelta(days=day.weekday())}
