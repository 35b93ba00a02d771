"""Joint patrols: participants, person-hours, and credit for participating workers of the grid."""

import uuid
from datetime import timedelta

from patrol.localtime import today
from tests.conftest import assert_error_shape
from tests.patrols.helpers import walk
from tests.tasks.conftest import day_start, record_patrol


def user_id(api):
    return api.get("/api/v1/auth/me").get_json()["id"]


def test_joint_patrol_person_hours_add_up(street, grids, login):
    grid = grids["330106010001001"]
    worker, colleague, neighbour = login("demo-worker"), login("demo-worker3"), login("demo-worker2")
    colleague_id, neighbour_id = user_id(colleague), user_id(neighbour)
    community = login("demo-community")
    held = community.post(
        f"/api/v1/areas/{grid.id}/assignments",
        json={"worker_id": colleague_id, "start_date": (today() - timedelta(days=10)).isoformat()},
    )
    assert held.status_code == 201, held.get_json()
    joint_start, solo_start = day_start(1, 9), day_start(1, 15)
    joint = record_patrol(worker, grid.id, joint_start, walk(grid, joint_start, minutes=30, step_s=10))
    solo = record_patrol(worker, grid.id, solo_start, walk(grid, solo_start, minutes=20, step_s=10))
    participants = [
        {"name": "李队长", "kind": "team"},
        {"name": "王阿姨", "kind": "volunteer"},
        {"kind": "worker", "user_id": colleague_id},
        {"kind": "worker", "user_id": neighbour_id},
    ]
    url = f"/api/v1/tasks/patrols/{joint}/participants"
    saved = worker.put(url, json={"participants": participants})
    assert saved.status_code == 200, saved.get_json()
    assert [p["name"] for p in saved.get_json()["participants"]][:2] == ["李队长", "王阿姨"]
    assert worker.put(url, json={"participants": participants}).get_json() == saved.get_json()
    assert_error_shape(colleague.put(url, json={"participants": []}), 404)
    assert_error_shape(worker.put(url, json={"participants": [{"kind": "team"}]}), 422)
    assert_error_shape(worker.put(url, json={"participants": [{"kind": "boss", "name": "x"}]}), 422)
    assert_error_shape(worker.put(url, json={"participants": [{"kind": "worker", "user_id": user_id(worker)}]}), 422)
    assert_error_shape(worker.put(f"/api/v1/tasks/patrols/{uuid.uuid4()}/participants", json={"participants": []}), 404)

    durations = {}
    for patrol_id in (joint, solo):
        patrol = street.get(f"/api/v1/patrols/{patrol_id}").get_json()
        props = patrol.get("properties", patrol)
        durations[patrol_id] = props["duration_s"] / 3600
    day = (today() - timedelta(days=1)).isoformat()
    figures = street.get(f"/api/v1/tasks/joint-patrols?from={day}&to={day}&grid_id={grid.id}").get_json()
    [row] = figures["grids"]
    assert row["patrols"] == 2 and row["joint_patrols"] == 1 and row["participants"] == 6
    assert abs(row["person_hours"] - round(durations[joint] * 5 + durations[solo], 2)) <= 0.01
    credited = {w["worker_id"]: w for w in figures["workers"]}
    assert credited[user_id(worker)]["own_patrols"] == 2 and credited[user_id(worker)]["credited_patrols"] == 2
    assert credited[colleague_id]["joined_patrols"] == 1 and credited[colleague_id]["credited_patrols"] == 1
    assert neighbour_id not in credited  # not a worker of that grid: listed, but not credited
    mine = colleague.get(f"/api/v1/tasks/joint-patrols?from={day}&to={day}").get_json()
    assert [w["worker_id"] for w in mine["workers"]] == [colleague_id]
