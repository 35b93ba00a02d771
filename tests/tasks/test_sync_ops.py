"""The phone's outbox: key place notes and patrol participants through /sync/push, pulled back."""

import uuid

from sqlalchemy import text

from patrol.extensions import db
from tests.tasks.conftest import line_walk, recent_start, record_patrol


def op(name, payload):
    return {"op_id": str(uuid.uuid4()), "op": name, "payload": payload}


def test_notes_and_participants_through_the_outbox(street, grids, login):
    grid = grids["330106010001001"]
    place = street.post(
        "/api/v1/tasks/key-places",
        json={
            "name": "桂花幼儿园",
            "category": "school",
            "geometry": {"type": "Point", "coordinates": [120.1215, 30.2829]},
        },
    ).get_json()
    worker = login("demo-worker")
    pulled = worker.get("/api/v1/sync/pull").get_json()
    assert [f["id"] for f in pulled["records"]["key_places"]] == [place["id"]]
    start = recent_start()
    patrol_id = record_patrol(worker, grid.id, start, line_walk(start, (120.1205, 30.2829), (120.1225, 30.2829)))
    note = op("keyplace.note", {"key_place_id": place["id"], "id": str(uuid.uuid4()), "note": "门岗在岗"})
    team = op(
        "patrol.participants", {"patrol_id": patrol_id, "participants": [{"name": "巡防队员 赵", "kind": "team"}]}
    )
    bad = op("task.complete", {"item_id": "one", "id": str(uuid.uuid4())})
    foreign = op("patrol.participants", {"patrol_id": str(uuid.uuid4()), "participants": []})
    results = worker.post("/api/v1/sync/push", json={"operations": [note, team, bad, foreign]}).get_json()["results"]
    assert [r["status"] for r in results] == ["applied", "applied", "rejected", "rejected"]
    assert results[2]["http_status"] == 422 and results[3]["http_status"] == 404
    assert results[1]["result"]["participants"] == [{"name": "巡防队员 赵", "kind": "team", "user_id": None}]
    replay = worker.post("/api/v1/sync/push", json={"operations": [note, team]}).get_json()["results"]
    assert [r["status"] for r in replay] == ["duplicate", "duplicate"]
    same_again = op("patrol.participants", team["payload"])
    assert worker.post("/api/v1/sync/push", json={"operations": [same_again]}).get_json()["results"][0]["status"] == (
        "duplicate"
    )
    assert db.session.execute(text("SELECT count(*) FROM key_place_note")).scalar() == 1
    assert db.session.execute(text("SELECT count(*) FROM patrol_participant")).scalar() == 1
    cursor = pulled["cursor"]
    later = worker.get(f"/api/v1/sync/pull?since={cursor}").get_json()["records"]
    assert "task_items" in later and "key_places" in later
    assert street.get(f"/api/v1/tasks/patrols/{patrol_id}/participants").get_json()["participants"][0]["kind"] == "team"
