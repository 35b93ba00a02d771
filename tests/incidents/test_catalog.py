"""Categories, departments and the holiday calendar: admin management and the deadlines they drive."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from patrol.incidents.deadlines import add_workdays, due_time
from tests.conftest import assert_error_shape
from tests.incidents.helpers import report_body

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_categories_are_two_levels_with_defaults(worker):
    categories = worker.get("/api/v1/incidents/categories").get_json()
    top = [c for c in categories if c["parent_id"] is None]
    assert [c["name"] for c in top] == [
        "治安隐患",
        "消防安全",
        "矛盾纠纷",
        "环境卫生",
        "市政设施",
        "违章搭建",
        "安全生产",
        "食品药品",
        "特殊人群异常",
        "其他",
    ]
    subs = [c for c in categories if c["parent_id"] is not None]
    assert len(subs) >= 30
    assert all(c["department_code"] and c["deadline_value"] > 0 for c in categories)


def test_admin_manages_categories(admin, worker):
    created = admin.post(
        "/api/v1/incidents/categories",
        json={
            "code": "0605",
            "name": "广告乱贴",
            "parent_code": "06",
            "deadline_value": 2,
            "deadline_unit": "workdays",
        },
    )
    assert created.status_code == 201, created.get_json()
    category = created.get_json()
    assert category["department_code"] == "chengguan"
    assert_error_shape(admin.post("/api/v1/incidents/categories", json={"code": "0605", "name": "x"}), 409)
    assert_error_shape(
        admin.post("/api/v1/incidents/categories", json={"code": "0699", "name": "x", "parent_code": "0605"}), 422
    )
    assert_error_shape(worker.post("/api/v1/incidents/categories", json={"code": "0606", "name": "x"}), 403)
    assert_error_shape(worker.patch(f"/api/v1/incidents/categories/{category['id']}", json={"active": False}), 403)
    patched = admin.patch(f"/api/v1/incidents/categories/{category['id']}", json={"active": False, "deadline_value": 4})
    assert patched.status_code == 200 and patched.get_json()["active"] is False
    assert_error_shape(
        admin.patch(f"/api/v1/incidents/categories/{category['id']}", json={"deadline_unit": "weeks"}), 422
    )
    assert "0605" not in {c["code"] for c in worker.get("/api/v1/incidents/categories").get_json()}
    assert_error_shape(worker.post("/api/v1/incidents", json=report_body(category="0605")), 422)


def test_admin_manages_departments(admin, street, departments):
    listed = street.get("/api/v1/incidents/departments").get_json()
    assert {d["code"] for d in listed} >= {"chengguan", "xiaofang", "paichusuo"}
    created = admin.post(
        "/api/v1/incidents/departments", json={"street_code": "330106010", "code": "wenwei", "name": "文卫站"}
    )
    assert created.status_code == 201
    assert_error_shape(
        admin.post("/api/v1/incidents/departments", json={"street_code": "330106010", "code": "wenwei", "name": "x"}),
        409,
    )
    assert_error_shape(
        admin.post("/api/v1/incidents/departments", json={"street_code": "330106999", "code": "abc", "name": "x"}), 422
    )
    assert_error_shape(
        street.post("/api/v1/incidents/departments", json={"street_code": "330106010", "code": "abc", "name": "x"}), 403
    )
    department_id = created.get_json()["id"]
    off = admin.patch(f"/api/v1/incidents/departments/{department_id}", json={"active": False})
    assert off.status_code == 200 and off.get_json()["active"] is False
    assert_error_shape(admin.patch("/api/v1/incidents/departments/99999", json={"active": False}), 404)


def test_holiday_calendar_api(admin, worker):
    assert admin.put("/api/v1/incidents/holidays/2026-10-01", json={"name": "国庆节"}).status_code == 200
    workday = admin.put("/api/v1/incidents/holidays/2026-10-10", json={"name": "国庆调休", "is_workday": True})
    assert workday.get_json() == {"day": "2026-10-10", "name": "国庆调休", "is_workday": True}
    assert [h["day"] for h in worker.get("/api/v1/incidents/holidays?year=2026").get_json()] == [
        "2026-10-01",
        "2026-10-10",
    ]
    assert_error_shape(worker.put("/api/v1/incidents/holidays/2026-10-02", json={"name": "x"}), 403)
    assert_error_shape(admin.put("/api/v1/incidents/holidays/2026-13-40", json={"name": "x"}), 422)
    assert admin.delete("/api/v1/incidents/holidays/2026-10-01").status_code == 204
    assert_error_shape(admin.delete("/api/v1/incidents/holidays/2026-10-01"), 404)


def test_working_day_deadlines_skip_weekends_and_holidays_and_count_make_up_days(admin):
    # National Day 2026: 1–7 October off, Saturday 10 October is a working day (调休).
    for day in range(1, 8):
        admin.put(f"/api/v1/incidents/holidays/2026-10-{day:02d}", json={"name": "国庆节"})
    admin.put("/api/v1/incidents/holidays/2026-10-10", json={"name": "调休", "is_workday": True})
    dispatched = datetime(2026, 9, 30, 16, 0, tzinfo=SHANGHAI)  # Wednesday before the holiday
    due = due_time(dispatched, 3, "workdays")
    # working days after 30 Sep: Thu 8 Oct, Fri 9 Oct, Sat 10 Oct (调休) -> due at the end of 10 October
    assert due == datetime(2026, 10, 11, 0, 0, tzinfo=SHANGHAI)
    friday = datetime(2026, 11, 6, 10, tzinfo=SHANGHAI)
    assert due_time(friday, 1, "workdays") == datetime(2026, 11, 10, 0, 0, tzinfo=SHANGHAI)
    assert due_time(friday, 4, "hours") == datetime(2026, 11, 6, 14, tzinfo=SHANGHAI)
    assert add_workdays(date(2026, 11, 6), 5, {}) == date(2026, 11, 13)
