"""The burden ledger for a prepared month, against figures worked out by hand, and its XLSX export."""

import io
import uuid

import openpyxl

from patrol.auth import service as auth
from patrol.localtime import today
from tests.conftest import DEMO_PASSWORD, assert_error_shape
from tests.tasks.conftest import list_type, push


def department_user(login, admin, username, code, name):
    created = admin.post("/api/v1/incidents/departments", json={"street_code": "330106010", "code": code, "name": name})
    assert created.status_code == 201, created.get_json()
    auth.create_user(username, DEMO_PASSWORD, "department", name, "330106010", department_id=created.get_json()["id"])
    return login(username)


def test_burden_ledger_matches_hand_computed_month_and_exports(street, grids, login):
    admin = login("demo-admin")
    fire = department_user(login, admin, "fire-2", "fire2", "消防救援站")
    health = department_user(login, admin, "health-2", "health2", "卫健办")
    list_type(street, minutes=30)
    g1, g2 = grids["330106010001001"].id, grids["330106010001002"].id
    first = push(fire, [g1, g2])  # 30 min each for worker 1 and worker 2
    push(fire, [g1], target_count=3)  # 3 × 30 min for worker 1
    flu = push(health, [g1], "flu_survey", type_name="流感问卷", minutes=15)
    street.post(f"/api/v1/tasks/{flu['id']}/decision", json={"approve": True})
    refused = push(health, [g2], "flu_survey", type_name="流感问卷", minutes=15)
    street.post(f"/api/v1/tasks/{refused['id']}/decision", json={"approve": False, "reason": "不在清单"})
    push(street, [g2])  # the street's own task, 30 min for worker 2
    worker = login("demo-worker")
    [item] = [i for i in worker.get("/api/v1/tasks/items").get_json() if i["task_id"] == first["id"]]
    assert worker.post(f"/api/v1/tasks/items/{item['id']}/complete", json={"id": str(uuid.uuid4())}).status_code == 201

    month = today().replace(day=1).isoformat()
    url = f"/api/v1/tasks/ledger?period=month&from={month}&to={today().isoformat()}"
    response = street.get(url)
    assert response.status_code == 200, response.get_json()
    got = [
        (
            r["period_start"],
            r["worker_name"],
            r["grid_code"],
            r["department"],
            r["tasks"],
            r["items_required"],
            r["items_done"],
            r["estimated_minutes"],
            r["estimated_hours"],
        )
        for r in response.get_json()
    ]
    expected = [
        (month, "张丽", "330106010001001", "卫健办", 1, 1, 0, 15, 0.25),
        (month, "张丽", "330106010001001", "消防救援站", 2, 4, 1, 120, 2.0),
        (month, "王建国", "330106010001002", "街道", 1, 1, 0, 30, 0.5),
        (month, "王建国", "330106010001002", "消防救援站", 1, 1, 0, 30, 0.5),
    ]
    assert sorted(got) == sorted(expected)

    # A department sees only what it pushed; a worker only their own lines.
    assert {r["department"] for r in fire.get(url).get_json()} == {"消防救援站"}
    assert {r["worker_name"] for r in worker.get(url).get_json()} == {"张丽"}

    xlsx = street.get(url + "&format=xlsx")
    assert xlsx.status_code == 200
    assert xlsx.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][:5] == ("周期起始", "网格员", "网格编码", "网格", "派发部门")
    data = sorted((r[1], r[2], r[4], r[5], r[6], r[7], r[8], r[9]) for r in rows[2:])
    assert data == sorted((e[1], e[2], e[3], e[4], e[5], e[6], e[7], e[8]) for e in expected)
    csv = street.get(url + "&format=csv")
    assert csv.status_code == 200 and csv.data.decode("utf-8-sig").splitlines()[0].startswith("周期起始,网格员")

    summary = street.get(f"/api/v1/tasks/ledger/summary?from={month}&to={today().isoformat()}").get_json()
    assert [d["department"] for d in summary["departments"]][0] == "消防救援站"
    assert summary["over_budget"] == []


def test_ledger_refuses_bad_queries(street, login):
    for query in (
        "period=year&from=2026-01-01&to=2026-01-31",
        "from=2026-02-01&to=2026-01-01",
        "from=x&to=y",
        "from=2024-01-01&to=2026-01-01",
        "from=2026-01-01&to=2026-01-31&format=pdf",
    ):
        assert_error_shape(street.get(f"/api/v1/tasks/ledger?{query}"), 422)
