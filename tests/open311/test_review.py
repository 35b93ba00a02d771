"""Upstream cases in the street's view: marked in the queue, the upstream deadline in 按期结案率, split by source,
pushed work in the burden ledger, the caller's contact masked and revealed only with an audited reason."""

import json
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from patrol.areas.models import Area
from patrol.audit.models import AuditEntry
from patrol.auth.models import User
from patrol.extensions import db
from patrol.incidents import catalog, workflow
from patrol.incidents import service as incident_service
from patrol.open311 import reads as open311_reads
from patrol.open311 import service as open311_service
from tests.incidents.helpers import point_in
from tests.open311.conftest import GRID, order

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI)
PHONE = "13912345678"


class Clock:
    now = None


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    for module in (incident_service, workflow, open311_service, open311_reads):
        monkeypatch.setattr(module, "utcnow", lambda: clock.now)
    return clock


def act(api, incident_id, action, **body):
    response = api.post(f"/api/v1/incidents/{incident_id}/actions", json={"action": action, "note": "办结", **body})
    assert response.status_code == 200, response.get_json()


def user(username):
    return db.session.execute(select(User).where(User.username == username)).scalar_one()


def test_upstream_deadline_governs_the_on_time_closing_rate(client, clock, hotline, street, chengguan):
    clock.now = MONDAY
    deadline = MONDAY + timedelta(hours=2)  # 0602's own deadline would be 24 h
    fields = order(hotline["api_key"], **{"attribute[deadline]": deadline.isoformat()})
    case = client.post("/open311/v2/requests.json", data=fields).get_json()[0]["service_request_id"]
    patrol_case = incident_service.report_incident(
        user("demo-worker"),
        {"id": uuid.uuid4(), "location": point_in(GRID), "category": "0602", "reported_at": MONDAY},
    )[0].id
    clock.now = MONDAY + timedelta(minutes=5)
    act(street, patrol_case, "accept")
    for incident_id in (case, patrol_case):
        clock.now = MONDAY + timedelta(minutes=10)
        act(street, incident_id, "dispatch")
        clock.now = MONDAY + timedelta(hours=5)
        act(chengguan, incident_id, "resolve")
        act(street, incident_id, "close")
    detail = street.get(f"/api/v1/incidents/{case}").get_json()
    assert datetime.fromisoformat(detail["due_at"]) == deadline
    assert datetime.fromisoformat(detail["upstream_deadline"]) == deadline
    assert detail["closed_late"] is True
    url = "/api/v1/stats/incidents?from=2026-11-02&to=2026-11-08"
    total = street.get(url).get_json()[-1]
    assert (total["due"], total["closed_on_time"], total["on_time_close_rate"]) == (2, 1, 0.5)
    by_source = {row["key"]: row for row in street.get(url + "&group_by=source").get_json() if row["key"]}
    assert by_source["upstream"]["label"] == "上级工单"
    assert (by_source["upstream"]["due"], by_source["upstream"]["on_time_close_rate"]) == (1, 0.0)
    assert (by_source["patrol"]["due"], by_source["patrol"]["on_time_close_rate"]) == (1, 1.0)
    assert by_source["upstream"]["accepted"] == 1 and by_source["upstream"]["reported"] == 1
    dashboard = street.get("/api/v1/review/dashboard?from=2026-11-02&to=2026-11-08").get_json()
    upstream_row = next(r for r in dashboard["incidents_by_source"] if r["key"] == "upstream")
    assert upstream_row["on_time_close_rate"] == 0.0
    report = street.get("/api/v1/reports/week?date=2026-11-02").get_json()
    sources = next(t for t in report["tables"] if t["key"] == "incident_sources")
    assert sources["summary"] == "上级工单 1 件，按期结案率 0.0%"
    assert {r["key"] for r in sources["rows"]} == {"patrol", "upstream"}


def test_the_queue_marks_upstream_cases_and_masks_the_caller(client, hotline, street, login):
    fields = order(hotline["api_key"], first_name="小明", last_name="王", phone=PHONE, email="wang@example.cn")
    case = client.post("/open311/v2/requests.json", data=fields).get_json()[0]["service_request_id"]
    listed = street.get("/api/v1/incidents?source=upstream").get_json()["items"]
    assert [i["id"] for i in listed] == [case]
    marked = listed[0]
    assert marked["source"] == "upstream" and marked["upstream_deadline"]
    assert marked["upstream"]["client"] == "12345热线" and marked["upstream"]["upstream_id"] == "GD-2026-0001"
    assert marked["upstream"]["contact"] == {"name": "王**", "phone": "139****5678", "email": "w***@example.cn"}
    for api in (street, login("demo-worker"), login("demo-admin")):
        for url in (f"/api/v1/incidents/{case}", "/api/v1/incidents", "/api/v1/open311/deliveries"):
            text = api.get(url).get_data(as_text=True)
            assert PHONE not in text and "小明" not in text and "wang@" not in text
    for url in (f"/open311/v2/requests/{case}.json", "/open311/v2/requests.xml"):
        text = client.get(url, query_string={"api_key": hotline["api_key"]}).get_data(as_text=True)
        assert PHONE not in text and "小明" not in text
    stored = db.session.execute(db.text("SELECT contact_enc FROM open311_request")).scalar()
    assert PHONE not in stored and "小明" not in stored
    assert db.session.execute(select(User.id).limit(1)).scalar()  # the session is still usable
    assert street.get("/api/v1/incidents?source=patrol").get_json()["items"] == []


def test_revealing_the_caller_needs_a_reason_and_is_audited(client, hotline, street, login):
    fields = order(hotline["api_key"], first_name="小明", last_name="王", phone=PHONE)
    case = client.post("/open311/v2/requests.json", data=fields).get_json()[0]["service_request_id"]
    url = f"/api/v1/open311/requests/{case}/reveal-contact"
    assert street.post(url, json={"reason": " "}).status_code == 422
    assert login("demo-worker").post(url, json={"reason": "回访"}).status_code == 403
    assert login("demo-community").post(url, json={"reason": "回访"}).status_code == 403
    revealed = street.post(url, json={"reason": "电话回访"})
    assert revealed.status_code == 200
    contact = revealed.get_json()["contact"]
    assert (contact["phone"], contact["first_name"], contact["last_name"]) == (PHONE, "小明", "王")
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "open311.contact.reveal")).scalar_one()
    assert entry.detail == {"reason": "电话回访"} and entry.object_id == case
    assert PHONE not in json.dumps(entry.detail, ensure_ascii=False)


def test_an_order_is_pushed_work_in_the_burden_ledger_under_its_source(client, hotline, street):
    client.post("/open311/v2/requests.json", data=order(hotline["api_key"]))
    today = datetime.now(SHANGHAI).date()
    rows = street.get(f"/api/v1/tasks/ledger?from={today}&to={today}&period=week").get_json()
    [row] = [r for r in rows if r["department"] == "12345热线"]
    assert row["grid_code"] == GRID
    assert (row["tasks"], row["items_required"], row["items_done"], row["estimated_minutes"]) == (1, 1, 0, 30)
    summary = street.get(f"/api/v1/tasks/ledger/summary?from={today}&to={today}").get_json()
    assert "12345热线" in [d["department"] for d in summary["departments"]]


def test_orders_count_against_a_workers_weekly_budget_when_tasks_are_pushed(client, hotline, street, login, demo):
    from patrol.auth import service as auth
    from tests.conftest import DEMO_PASSWORD
    from tests.tasks.conftest import list_type, push

    list_type(street, minutes=30)
    worker_id = login("demo-worker").get("/api/v1/auth/me").get_json()["id"]
    assert street.put(f"/api/v1/tasks/budgets/{worker_id}", json={"weekly_minutes": 60}).status_code == 200
    for upstream_id in ("GD-1", "GD-2"):  # 2 × 30 minutes: the week's budget is used up by orders
        assert client.post("/open311/v2/requests.json", data=order(hotline["api_key"], upstream_id)).status_code == 201
    street_area = db.session.execute(select(Area).where(Area.code == "330106010")).scalar_one()
    department = catalog.seed_departments(street_area)[0]
    auth.create_user("fire-dept", DEMO_PASSWORD, "department", "消防救援站", "330106010", department_id=department.id)
    grid_id = next(g.id for g in demo["grids"] if g.code == GRID)
    over = push(login("fire-dept"), [grid_id])
    assert over["status"] == "proposed"
    assert over["over_budget"][str(worker_id)]["already_minutes"] == 60


def test_reads_take_the_key_from_a_header_and_ids_override_other_filters(client, hotline):
    case = client.post("/open311/v2/requests.json", data=order(hotline["api_key"])).get_json()[0]
    ident = case["service_request_id"]
    headers = {"X-Api-Key": hotline["api_key"]}
    listed = client.get(f"/open311/v2/requests.json?service_request_id={ident}&status=closed", headers=headers)
    assert [r["service_request_id"] for r in listed.get_json()] == [ident]
    assert client.get("/open311/v2/requests.json?status=closed", headers=headers).get_json() == []
