"""The worker's checklist: offline completion through the sync outbox, photos, fulfilment from records."""

import uuid
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import text

from patrol.extensions import db
from patrol.localtime import today, tz
from tests.conftest import assert_error_shape
from tests.patrols.helpers import walk
from tests.people.helpers import GRID_1, person_body
from tests.tasks.conftest import day_start, line_walk, list_type, push, recent_start, record_patrol


def checklist(api, include_done=False):
    response = api.get(f"/api/v1/tasks/items?include_done={'true' if include_done else 'false'}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_offline_completions_replayed_are_recorded_exactly_once(street, department, grids, login):
    list_type(street)
    grid = grids["330106010001001"]
    for n in range(1, 4):
        street.post(
            "/api/v1/tasks/key-places",
            json={
                "name": f"出租房{n}",
                "category": "rental",
                "geometry": {"type": "Point", "coordinates": [120.1205 + n * 0.0005, 30.2829]},
            },
        )
    push(department, [grid.id], place_category="rental")
    worker = login("demo-worker")
    items = checklist(worker)
    assert len(items) == 3
    batch = {
        "operations": [
            {
                "op_id": str(uuid.uuid4()),
                "op": "task.complete",
                "payload": {"item_id": item["id"], "id": str(uuid.uuid4()), "note": "灭火器在有效期内"},
            }
            for item in items
        ]
    }
    first = worker.post("/api/v1/sync/push", json=batch)
    assert first.status_code == 200, first.get_json()
    assert [r["status"] for r in first.get_json()["results"]] == ["applied"] * 3
    again = worker.post("/api/v1/sync/push", json=batch).get_json()["results"]
    assert [r["status"] for r in again] == ["duplicate"] * 3
    # The same completions sent again under new op ids (a reinstalled outbox) are still answered once.
    renamed = {"operations": [{**op, "op_id": str(uuid.uuid4())} for op in batch["operations"]]}
    assert [r["status"] for r in worker.post("/api/v1/sync/push", json=renamed).get_json()["results"]] == [
        "duplicate"
    ] * 3
    rest = batch["operations"][0]["payload"]
    replay = worker.post(f"/api/v1/tasks/items/{rest['item_id']}/complete", json={"id": rest["id"]})
    assert replay.status_code == 200 and replay.get_json()["done_by"] == "tap"
    assert db.session.execute(text("SELECT count(*) FROM task_completion")).scalar() == 3
    assert checklist(worker) == []
    assert all(i["done"] for i in checklist(worker, include_done=True))
    pulled = worker.get("/api/v1/sync/pull").get_json()["records"]
    assert len(pulled["task_items"]) == 3 and all(i["done"] for i in pulled["task_items"])
    assert len(pulled["key_places"]) == 3


def test_completion_needs_the_photo_and_links_the_running_patrol(street, department, grids, login):
    list_type(street)
    grid = grids["330106010001001"]
    push(department, [grid.id], photo_required=True)
    worker = login("demo-worker")
    [item] = checklist(worker)
    url = f"/api/v1/tasks/items/{item['id']}/complete"
    assert_error_shape(worker.post(url, json={"id": str(uuid.uuid4())}), 422)
    assert_error_shape(worker.post(url, json={"id": str(uuid.uuid4()), "photo_ids": ["a" * 64]}), 422)
    assert_error_shape(worker.post(url, json={"id": "not-a-uuid"}), 422)
    assert_error_shape(login("demo-worker2").post(url, json={"id": str(uuid.uuid4())}), 404)
    assert db.session.execute(text("SELECT count(*) FROM task_completion")).scalar() == 0

    start = recent_start()
    patrol_id = str(uuid.uuid4())
    started = worker.post(
        "/api/v1/patrols", json={"id": patrol_id, "grid_id": grid.id, "started_at": start.isoformat()}
    )
    assert started.status_code == 201
    photo = worker.client.post(
        "/api/v1/photos", data={"file": (_jpeg(), "p.jpg")}, headers=worker.headers, content_type="multipart/form-data"
    )
    assert photo.status_code == 201, photo.get_json()
    done = worker.post(url, json={"id": str(uuid.uuid4()), "photo_ids": [photo.get_json()["id"]]})
    assert done.status_code == 201, done.get_json()
    assert done.get_json()["completion"]["patrol_id"] == patrol_id
    street_view = street.get(f"/api/v1/photos/{photo.get_json()['id']}")
    assert street_view.status_code == 200


def _jpeg():
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "JPEG")
    out.seek(0)
    return out


def test_task_needing_a_logged_visit_is_fulfilled_without_a_new_entry(street, grids, login, demo):
    community = login("demo-community")
    person = community.post("/api/v1/people", json=person_body(1, where=GRID_1))
    assert person.status_code == 201, person.get_json()
    person_id = person.get_json()["id"]
    other = community.post("/api/v1/people", json=person_body(2, where=GRID_1)).get_json()["id"]
    worker = login("demo-worker")
    visited_at = datetime.combine(today(), time(0, 5), tz()).astimezone(UTC)
    visit = worker.post(
        "/api/v1/visits",
        json={
            "id": str(uuid.uuid4()),
            "person_id": person_id,
            "visited_at": visited_at.isoformat(),
            "method": "入户",
            "condition": "正常",
        },
    )
    assert visit.status_code == 201, visit.get_json()
    grid = grids["330106010001001"]
    task = push(street, [grid.id], "visit", person_ids=[person_id, other], title="走访独居老人")
    assert task["status"] == "active" and task["items_total"] == 2
    items = {i["person_id"]: i for i in checklist(worker, include_done=True)}
    assert items[person_id]["done"] and items[person_id]["done_by"] == "record"
    assert not items[other]["done"]
    assert [i["person_id"] for i in checklist(worker)] == [other]
    assert db.session.execute(text("SELECT count(*) FROM task_completion")).scalar() == 0
    assert db.session.execute(text("SELECT count(*) FROM visit")).scalar() == 1


def test_patrol_twice_is_fulfilled_by_recorded_patrols(street, department, grids, login):
    grid = grids["330106010001001"]
    yesterday = (today() - timedelta(days=1)).isoformat()
    task = push(department, [grid.id], "patrol", target_count=2, counts_from=yesterday)
    assert task["listed"] and task["estimated_minutes"] == 120
    worker = login("demo-worker")
    [item] = checklist(worker)
    assert item["units"] == 2 and not item["done"]
    short = day_start(1, hour=8)
    record_patrol(worker, grid.id, short, line_walk(short, (120.1205, 30.2829), (120.1225, 30.2829)))
    morning = day_start(1, hour=9)
    record_patrol(worker, grid.id, morning, walk(grid, morning, minutes=25, step_s=10))
    [item] = checklist(worker)
    assert not item["done"]  # one valid patrol; the 3-minute one is invalid and does not count
    afternoon = day_start(1, hour=15)
    record_patrol(worker, grid.id, afternoon, walk(grid, afternoon, minutes=25, step_s=10))
    assert db.session.execute(text("SELECT count(*) FILTER (WHERE valid) FROM patrol")).scalar() == 2
    assert checklist(worker) == []
    [item] = checklist(worker, include_done=True)
    assert item["done"] and item["done_by"] == "record"


def test_a_completion_naming_a_patrol_synced_later_is_linked_when_the_patrol_arrives(street, department, grids, login):
    list_type(street)
    grid = grids["330106010001001"]
    push(department, [grid.id])
    worker = login("demo-worker")
    [item] = checklist(worker)
    patrol_id = str(uuid.uuid4())
    done = worker.post(
        f"/api/v1/tasks/items/{item['id']}/complete", json={"id": str(uuid.uuid4()), "patrol_id": patrol_id}
    )
    assert done.status_code == 201, done.get_json()
    assert done.get_json()["completion"]["patrol_id"] == patrol_id
    linked = text("SELECT count(*) FROM task_completion WHERE patrol_id = :id AND pending_patrol_id IS NULL")
    assert db.session.execute(linked, {"id": patrol_id}).scalar() == 0
    started = worker.post(
        "/api/v1/patrols", json={"id": patrol_id, "grid_id": grid.id, "started_at": recent_start().isoformat()}
    )
    assert started.status_code == 201, started.get_json()
    db.session.remove()
    assert db.session.execute(linked, {"id": patrol_id}).scalar() == 1
    assert checklist(worker, include_done=True)[0]["completion"]["patrol_id"] == patrol_id
