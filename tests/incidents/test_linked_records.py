"""A report names only its reporter's own patrol and visit: another worker's ids are refused (4xx)."""

import uuid
from datetime import UTC, datetime, timedelta

from tests.conftest import assert_error_shape
from tests.incidents.helpers import report_body
from tests.people.helpers import GRID_2, person_body


def _patrol_of(api, grid_id):
    body = {
        "id": str(uuid.uuid4()),
        "grid_id": grid_id,
        "started_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
    }
    response = api.post("/api/v1/patrols", json=body)
    assert response.status_code == 201, response.get_json()
    return body["id"]


def _visit_of(api, community):
    person = community.post("/api/v1/people", json=person_body(7, where=GRID_2))
    assert person.status_code == 201, person.get_json()
    body = {
        "id": str(uuid.uuid4()),
        "person_id": person.get_json()["id"],
        "visited_at": datetime.now(UTC).isoformat(),
        "method": "入户",
        "condition": "正常",
    }
    response = api.post("/api/v1/visits", json=body)
    assert response.status_code == 201, response.get_json()
    return body["id"]


def test_a_report_cannot_claim_another_workers_patrol_or_visit(worker, login, demo):
    other = login("demo-worker2")
    grids = {grid.code: grid.id for grid in demo["grids"]}
    foreign_patrol = _patrol_of(other, grids["330106010001002"])
    foreign_visit = _visit_of(other, login("demo-community"))
    for field, value in (("patrol_id", foreign_patrol), ("visit_id", foreign_visit)):
        refused = worker.post("/api/v1/incidents", json=report_body(**{field: value}))
        assert field in assert_error_shape(refused, 422)["errors"]
        pushed = worker.post(
            "/api/v1/sync/push",
            json={
                "operations": [
                    {"op_id": str(uuid.uuid4()), "op": "incident.report", "payload": report_body(**{field: value})}
                ]
            },
        )
        assert pushed.status_code == 200 and pushed.get_json()["results"][0]["status"] == "rejected", pushed.get_json()
    assert worker.get("/api/v1/incidents").get_json()["items"] == []
    # The owner links them freely; the reporter's own patrol too.
    own_patrol = _patrol_of(worker, grids["330106010001001"])
    assert worker.post("/api/v1/incidents", json=report_body(patrol_id=own_patrol)).status_code == 201
    body = report_body("330106010001002", patrol_id=foreign_patrol, visit_id=foreign_visit)
    assert other.post("/api/v1/incidents", json=body).status_code == 201
