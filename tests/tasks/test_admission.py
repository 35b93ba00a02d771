"""Duty list, pushed tasks and their admission, weekly budgets."""

from datetime import timedelta

from sqlalchemy import text

from patrol.extensions import db
from patrol.localtime import today
from tests.conftest import assert_error_shape
from tests.hardening.world import department_id_of
from tests.tasks.conftest import list_type, push, task_body


def items_of(api):
    response = api.get("/api/v1/tasks/items")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_duty_list_defaults_and_versions(street, department, login):
    first = street.get("/api/v1/tasks/duty-list").get_json()
    assert {t["code"] for t in first["types"]} == {"patrol", "incident", "visit"}
    assert first["version"] == 3
    changed = list_type(street, minutes=30)
    assert changed["version"] == 4
    again = list_type(street, minutes=45)
    assert again["version"] == 5 and {t["code"]: t["minutes"] for t in again["types"]}["fire_check"] == 45
    assert list_type(street, minutes=45)["version"] == 5  # no change, no new version
    assert street.delete("/api/v1/tasks/duty-list/fire_check").get_json()["version"] == 6
    history = street.get("/api/v1/tasks/duty-list/history").get_json()
    assert [h["action"] for h in history[:3]] == ["remove", "update", "add"]
    assert history[1]["before"]["minutes"] == 30 and history[1]["after"]["minutes"] == 45
    me = street.get("/api/v1/auth/me").get_json()
    assert history[0]["changed_by"] == me["id"]
    assert_error_shape(department.put("/api/v1/tasks/duty-list/x", json={"name": "x", "minutes": 5}), 403)
    assert_error_shape(login("demo-worker").delete("/api/v1/tasks/duty-list/patrol"), 403)
    assert_error_shape(street.put("/api/v1/tasks/duty-list/BAD CODE", json={"name": "x", "minutes": 5}), 422)


def test_listed_task_reaches_the_workers_of_its_grids(street, department, grids, login):
    list_type(street)
    grid_ids = [grids["330106010001001"].id, grids["330106010001002"].id]
    task = push(department, grid_ids)
    assert task["status"] == "active" and task["listed"] and task["department_id"] == department_id_of(department)
    assert task["items_total"] == 2 and task["estimated_minutes"] == 60
    for username, grid_id in (("demo-worker", grid_ids[0]), ("demo-worker2", grid_ids[1])):
        mine = items_of(login(username))
        assert [(i["task_id"], i["grid_id"], i["estimated_minutes"]) for i in mine] == [(task["id"], grid_id, 30)]
    assert items_of(login("demo-worker3")) == []
    replay = department.post("/api/v1/tasks", json={**task_body(grid_ids), "id": task["id"]})
    assert replay.status_code == 200 and replay.get_json()["id"] == task["id"]
    assert db.session.execute(text("SELECT count(*) FROM task_item")).scalar() == 2


def test_task_per_key_place_gives_one_item_per_place(street, department, grids, login):
    list_type(street)
    grid = grids["330106010001001"]
    for n, lon in enumerate((120.1210, 120.1220), start=1):
        response = street.post(
            "/api/v1/tasks/key-places",
            json={
                "name": f"出租房{n}",
                "category": "rental",
                "geometry": {"type": "Point", "coordinates": [lon, 30.2829]},
            },
        )
        assert response.status_code == 201, response.get_json()
    push(department, [grid.id], place_category="rental")
    assert sorted(i["label"] for i in items_of(login("demo-worker"))) == ["出租房1", "出租房2"]


def test_unlisted_task_waits_and_refused_never_reaches_workers(street, department, grids, login):
    grid_id = grids["330106010001001"].id
    proposed = push(department, [grid_id], "flu_survey", type_name="流感问卷", minutes=15)
    assert proposed["status"] == "proposed" and not proposed["listed"] and proposed["items_total"] == 0
    worker = login("demo-worker")
    assert items_of(worker) == []
    waiting = street.get("/api/v1/tasks?status=proposed").get_json()
    assert [t["id"] for t in waiting] == [proposed["id"]]
    assert_error_shape(street.post(f"/api/v1/tasks/{proposed['id']}/decision", json={"approve": False}), 422)
    assert_error_shape(department.post(f"/api/v1/tasks/{proposed['id']}/decision", json={"approve": True}), 403)
    refused = street.post(
        f"/api/v1/tasks/{proposed['id']}/decision", json={"approve": False, "reason": "不属于网格员职责"}
    )
    assert refused.status_code == 200 and refused.get_json()["status"] == "refused"
    assert refused.get_json()["refusal_reason"] == "不属于网格员职责"
    assert_error_shape(street.post(f"/api/v1/tasks/{proposed['id']}/decision", json={"approve": True}), 409)
    assert items_of(worker) == []
    assert db.session.execute(text("SELECT count(*) FROM task_item")).scalar() == 0
    assert_error_shape(worker.get(f"/api/v1/tasks/{proposed['id']}"), 404)

    second = push(department, [grid_id], "flu_survey", type_name="流感问卷", minutes=15)
    approved = street.post(f"/api/v1/tasks/{second['id']}/decision", json={"approve": True}).get_json()
    assert approved["status"] == "active" and approved["items_total"] == 1
    assert [i["task_id"] for i in items_of(worker)] == [second["id"]]


def test_unlisted_task_needs_name_and_estimate(department, grids):
    response = department.post("/api/v1/tasks", json=task_body([grids["330106010001001"].id], "flu_survey"))
    assert_error_shape(response, 422)
    assert db.session.execute(text("SELECT count(*) FROM task")).scalar() == 0


def test_budget_overrun_is_refused_without_the_streets_approval(street, department, grids, login, demo):
    list_type(street, minutes=30)
    worker_id = login("demo-worker").get("/api/v1/auth/me").get_json()["id"]
    assert street.put(f"/api/v1/tasks/budgets/{worker_id}", json={"weekly_minutes": 60}).status_code == 200
    grid_id = grids["330106010001001"].id
    assert push(department, [grid_id], target_count=2)["status"] == "active"  # 60 of 60 minutes
    over = push(department, [grid_id])
    assert over["status"] == "proposed" and over["items_total"] == 0
    figures = over["over_budget"][str(worker_id)]
    assert figures["budget_minutes"] == 60 and figures["already_minutes"] == 60 and figures["adding_minutes"] == 30
    assert len(items_of(login("demo-worker"))) == 1
    refusal = street.post(f"/api/v1/tasks/{over['id']}/decision", json={"approve": True})
    body = assert_error_shape(refusal, 409)
    assert str(worker_id) in body["errors"]["over_budget"]
    assert len(items_of(login("demo-worker"))) == 1
    accepted = street.post(f"/api/v1/tasks/{over['id']}/decision", json={"approve": True, "accept_over_budget": True})
    assert accepted.status_code == 200 and accepted.get_json()["status"] == "active"
    assert len(items_of(login("demo-worker"))) == 2
    # A department cannot wave its own overrun through.
    self_approved = push(department, [grid_id], accept_over_budget=True)
    assert self_approved["status"] == "proposed"
    assert_error_shape(department.put(f"/api/v1/tasks/budgets/{worker_id}", json={"weekly_minutes": 999}), 403)
    # The street itself may push past the budget, saying so explicitly; the overrun stays on record.
    forced = push(street, [grid_id], accept_over_budget=True)
    assert forced["status"] == "active" and forced["over_budget"][str(worker_id)]["already_minutes"] == 90
    assert len(items_of(login("demo-worker"))) == 3
    monday = (today() - timedelta(days=today().weekday())).isoformat()
    summary = street.get(f"/api/v1/tasks/ledger/summary?from={monday}&to={today().isoformat()}").get_json()
    [week] = summary["over_budget"]
    assert (week["worker_id"], week["estimated_minutes"], week["budget_minutes"]) == (worker_id, 120, 60)


def test_push_refuses_bad_input_and_foreign_grids(department, grids, login):
    grid_id = grids["330106010001001"].id
    for bad in (
        {"grid_ids": []},
        {"grid_ids": ["1"]},
        {"due_date": "2020-01-01"},
        {"due_date": "soon"},
        {"minutes": float("nan")},
        {"unknown": 1},
        {"type": "x" * 41},
        {"grid_ids": [999999]},
    ):
        response = department.post("/api/v1/tasks", json={**task_body([grid_id]), **bad})
        assert 400 <= response.status_code < 500, (bad, response.status_code)
        assert_error_shape(response, response.status_code)
    assert_error_shape(login("demo-worker").post("/api/v1/tasks", json=task_body([grid_id])), 403)
    malformed = department.post("/api/v1/tasks", data="{", headers={"Content-Type": "application/json"})
    assert 400 <= malformed.status_code < 500
    assert db.session.execute(text("SELECT count(*) FROM task")).scalar() == 0
