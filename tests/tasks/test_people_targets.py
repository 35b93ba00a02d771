"""Only roles that may see people name them in a task; checklist labels never name a hidden person."""

from sqlalchemy import text

from patrol.extensions import db
from tests.conftest import assert_error_shape
from tests.people.helpers import GRID_1, GRID_2, person_body, point
from tests.tasks.conftest import push, task_body


def _person(login, n, where=GRID_1):
    response = login("demo-community").post("/api/v1/people", json=person_body(n, where=where, name=f"秘密姓名{n}"))
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def test_a_department_may_not_name_people_in_a_visit_task(health, grids, login):
    person_id = _person(login, 1)
    grid = grids["330106010001001"]
    body = task_body([grid.id], "visit", person_ids=[person_id], title="走访")
    refused = assert_error_shape(health.post("/api/v1/tasks", json=body), 403)
    assert "person_ids" in refused["errors"]
    assert db.session.execute(text("SELECT count(*) FROM task")).scalar() == 0
    assert db.session.execute(text("SELECT count(*) FROM task_item")).scalar() == 0
    # a guessed id outside any scope is refused the same way: the answer tells nothing about it
    assert_error_shape(health.post("/api/v1/tasks", json={**body, "person_ids": [person_id + 1000]}), 403)
    # without people the department still pushes its visit-type task as before
    without = push(health, [grid.id], "visit", title="走访")
    assert without["person_ids"] is None


def test_the_street_names_people_and_labels_hide_people_the_reader_no_longer_sees(street, grids, login):
    person_id = _person(login, 2)
    grid = grids["330106010001001"]
    task = push(street, [grid.id], "visit", person_ids=[person_id], title="走访")
    assert task["status"] == "active" and task["items_total"] == 1
    worker = login("demo-worker")
    [item] = worker.get("/api/v1/tasks/items").get_json()
    assert item["person_id"] == person_id and "秘密姓名2" in item["label"]
    assert "秘密姓名2" in str(street.get(f"/api/v1/tasks/{task['id']}").get_json()["checklist"])
    # the person moves to another worker's grid: the first worker may no longer see them
    moved = login("demo-community").patch(f"/api/v1/people/{person_id}", json={"location": point(GRID_2)})
    assert moved.status_code == 200, moved.get_json()
    assert worker.get(f"/api/v1/people/{person_id}").status_code == 404
    for response in (worker.get("/api/v1/tasks/items"), worker.get(f"/api/v1/tasks/{task['id']}")):
        assert response.status_code == 200
        assert "秘密姓名2" not in response.get_data(as_text=True)
    [item] = worker.get("/api/v1/tasks/items").get_json()
    assert item["person_id"] == person_id and "不可见" in item["label"]
