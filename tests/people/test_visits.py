import uuid
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import text

from patrol.audit.models import AuditEntry
from patrol.extensions import db
from patrol.localtime import today, tz
from tests.conftest import assert_error_shape
from tests.people.helpers import GRID_1, GRID_2, person_body, point


def at_noon(day):
    """Noon of a local day; for today before noon, a moment already past (CI may run after midnight)."""
    moment = datetime.combine(day, time(12, 0), tz())
    now = datetime.now(tz())
    if moment > now:
        midnight = datetime.combine(day, time(0, 0), tz())
        moment = midnight + (now - midnight) / 2
    return moment.isoformat()


@pytest.fixture
def community(demo, login):
    return login("demo-community")


@pytest.fixture
def worker(demo, login):
    return login("demo-worker")


def register(api, n, categories, attention=None, days_ago=0, where=GRID_1, active=True):
    body = person_body(n, where=where, categories=[{"category": c, "extra": e} for c, e in categories])
    body["registered_on"] = (today() - timedelta(days=days_ago)).isoformat()
    body["active"] = active
    if attention:
        body["attention_level"] = attention
    response = api.post("/api/v1/people", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def visit(api, person_id, days_ago, condition="正常", **extra):
    body = {
        "id": str(uuid.uuid4()),
        "person_id": person_id,
        "visited_at": at_noon(today() - timedelta(days=days_ago)),
        "method": "入户",
        "condition": condition,
        **extra,
    }
    response = api.post("/api/v1/visits", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


ELDERLY = ("elderly_alone", {"living": "独居"})
MENTAL = ("severe_mental_disorder", {"risk_level": 4})
HARDSHIP = ("hardship_family", {})
CORRECTION = ("community_correction", {"correction_type": "缓刑"})
DISABLED = ("disabled", {})


def test_visit_is_idempotent_and_moves_the_due_date(worker, community, login):
    person = register(community, 1, [ELDERLY], attention=1, days_ago=60)
    body = {
        "id": str(uuid.uuid4()),
        "person_id": person,
        "visited_at": at_noon(today() - timedelta(days=2)),
        "location": point(GRID_1),
        "method": "电话",
        "condition": "需关注",
        "note": "老人腿脚不便，需要关注",
    }
    first = worker.post("/api/v1/visits", json=body)
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["next_due_date"] == (today() + timedelta(days=28)).isoformat()
    replay = worker.post("/api/v1/visits", json=body)
    assert replay.status_code == 200 and replay.get_json() == first.get_json()
    assert db.session.execute(text("SELECT count(*) FROM visit")).scalar() == 1
    assert_error_shape(login("demo-worker2").post("/api/v1/visits", json=body), 409)
    listed = worker.get(f"/api/v1/people/{person}/visits").get_json()
    assert [v["id"] for v in listed] == [body["id"]]
    assert worker.get(f"/api/v1/visits/{body['id']}").get_json()["note"] == body["note"]
    assert worker.get(f"/api/v1/people/{person}").get_json()["last_visit_date"] == listed[0]["visit_date"]


BAD_VISITS = [
    {"method": "飞鸽"},
    {"condition": "很好"},
    {"visited_at": "2026-01-01T10:00:00"},  # no time zone
    {"visited_at": (datetime.now(UTC) + timedelta(hours=2)).isoformat()},
    {"visited_at": (datetime.now(UTC) - timedelta(days=200)).isoformat()},
    {"location": {"type": "Point", "coordinates": [500, 30]}},
    {"photo_ids": ["not-a-hash"]},
    {"photo_ids": ["a" * 64]},  # well-formed but unknown
    {"incident": {"category": "0101", "description": "可疑人员"}},  # condition 正常
    {"mood": "happy"},
    {"person_id": "one"},
    {"id": "not-a-uuid"},
]


def test_bad_visits_are_refused_and_store_nothing(worker, community):
    person = register(community, 2, [ELDERLY])
    for change in BAD_VISITS:
        body = {"id": str(uuid.uuid4()), "person_id": person, "visited_at": at_noon(today()), "method": "入户",
                "condition": "正常", **change}  # fmt: skip
        response = worker.post("/api/v1/visits", json=body)
        assert 400 <= response.status_code < 500, (change, response.get_json())
        assert_error_shape(response, response.status_code)
    assert db.session.execute(text("SELECT count(*) FROM visit")).scalar() == 0


def test_worker_cannot_visit_people_outside_their_grids(worker, community):
    other = register(community, 3, [ELDERLY], where=GRID_2)
    body = {"id": str(uuid.uuid4()), "person_id": other, "visited_at": at_noon(today()), "method": "入户",
            "condition": "正常"}  # fmt: skip
    assert_error_shape(worker.post("/api/v1/visits", json=body), 404)
    inactive = register(community, 4, [ELDERLY], active=False)
    assert_error_shape(worker.post("/api/v1/visits", json={**body, "person_id": inactive}), 422)


def test_due_list_matches_hand_computed_dates(worker, community, login):
    d = today()
    a = register(community, 10, [ELDERLY], attention=1, days_ago=100)  # 30 days after the visit 40 days ago
    visit(community, a, 40)
    b = register(community, 11, [MENTAL], attention=3, days_ago=100)  # 14 days after the visit 10 days ago
    visit(community, b, 10)
    register(community, 12, [HARDSHIP], attention=1, days_ago=10)  # first due 90 days after registration
    c = register(community, 13, [CORRECTION, ELDERLY], attention=2, days_ago=100)  # min(14, 14) after last visit
    visit(community, c, 20)
    visit(community, c, 16)
    e = register(community, 14, [DISABLED], attention=1, days_ago=95)  # never visited: 90 days after registering
    register(community, 15, [ELDERLY], attention=1, days_ago=200, active=False)  # inactive: never listed
    f = register(community, 16, [ELDERLY], attention=1, days_ago=100, where=GRID_2)  # someone else's grid
    visit(community, f, 45)

    due = community.get("/api/v1/visits/due?within_days=7").get_json()
    expected = [(a, -10), (f, -15), (e, -5), (c, -2), (b, 4)]
    expected.sort(key=lambda item: item[1])
    assert [(row["person_id"], row["due_date"]) for row in due] == [
        (pid, (d + timedelta(days=offset)).isoformat()) for pid, offset in expected
    ]
    assert [row["days_overdue"] for row in due] == [-offset for _, offset in expected]
    assert due[0]["id_number"].count("*") == 11

    mine = worker.get("/api/v1/visits/due?within_days=3").get_json()
    assert [row["person_id"] for row in mine] == [a, e, c]
    grid_2_id = next(row["grid_id"] for row in due if row["person_id"] == f)
    grid_2 = community.get(f"/api/v1/visits/due?area_id={grid_2_id}").get_json()
    assert [row["person_id"] for row in grid_2] == [f]

    # a shorter configured interval moves the date: elderly (一般) every 10 days → a was due 30 days ago
    admin = login("demo-admin")
    assert_error_shape(community.put("/api/v1/visits/intervals", json={"intervals": []}), 422)
    change = {"intervals": [{"category": "elderly_alone", "attention_level": 1, "days": 10}]}
    assert_error_shape(community.put("/api/v1/visits/intervals", json=change), 403)
    assert admin.put("/api/v1/visits/intervals", json=change).status_code == 200
    row = next(r for r in community.get("/api/v1/visits/due").get_json() if r["person_id"] == a)
    assert row["due_date"] == (d - timedelta(days=30)).isoformat() and row["interval_days"] == 10
    listed = {
        (i["category"], i["attention_level"]): i["days"] for i in worker.get("/api/v1/visits/intervals").get_json()
    }
    assert listed[("elderly_alone", 1)] == 10 and listed[("severe_mental_disorder", 3)] == 14


def test_worker_due_list_is_sorted_by_date_then_distance(worker, community):
    near = register(community, 20, [ELDERLY], attention=1, days_ago=40, where=(120.1212, 30.2820))
    far = register(community, 21, [ELDERLY], attention=1, days_ago=40, where=(120.1225, 30.2850))
    due = worker.get("/api/v1/visits/due?lon=120.1211&lat=30.2819").get_json()
    assert [r["person_id"] for r in due] == [near, far]
    assert due[0]["distance_m"] < due[1]["distance_m"]
    due = worker.get("/api/v1/visits/due?lon=120.1226&lat=30.2851").get_json()
    assert [r["person_id"] for r in due] == [far, near]
    assert_error_shape(worker.get("/api/v1/visits/due?lon=nan&lat=30"), 422)
    assert_error_shape(worker.get("/api/v1/visits/due?lon=10&lat=10"), 422)


def test_visit_stats_by_category_grid_and_worker(community, demo):
    d = today()
    p = register(community, 30, [ELDERLY], attention=1, days_ago=70)
    visit(community, p, 50)  # meets the registration's due date (d-40): on time
    visit(community, p, 15)  # the d-50 visit was due again at d-20: late, overdue
    register(community, 31, [MENTAL], attention=3, days_ago=30)  # due d-16, never visited: overdue
    period = f"from={(d - timedelta(days=60)).isoformat()}&to={d.isoformat()}"
    by_category = {r["key"]: r for r in community.get(f"/api/v1/stats/visits?{period}").get_json()}
    assert by_category["elderly_alone"] == {
        "key": "elderly_alone", "label": "独居/空巢老人", "persons": 1, "done": 2, "due": 2, "on_time": 1,
        "overdue": 1, "on_time_rate": 0.5,
    }  # fmt: skip
    assert by_category["severe_mental_disorder"]["overdue"] == 1
    assert by_category["severe_mental_disorder"]["on_time_rate"] == 0.0
    worker = next(w for w, g in demo["workers"] if g.code == "330106010001001")
    for group, key in (("grid", str(demo["grids"][0].id)), ("worker", str(worker.id))):
        rows = community.get(f"/api/v1/stats/visits?{period}&group_by={group}").get_json()
        assert [(r["key"], r["persons"], r["done"], r["due"], r["on_time"], r["overdue"]) for r in rows] == [
            (key, 2, 2, 3, 1, 2)
        ]
        assert rows[0]["on_time_rate"] == pytest.approx(1 / 3, abs=1e-4)
    csv = community.get(f"/api/v1/stats/visits?{period}&format=csv")
    assert csv.status_code == 200 and "按时率" in csv.get_data(as_text=True)
    xlsx = community.get(f"/api/v1/stats/visits?{period}&group_by=grid&format=xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    assert db.session.query(AuditEntry).filter_by(action="visits.stats.export").count() == 2
    assert_error_shape(community.get(f"/api/v1/stats/visits?from={d}&to={d - timedelta(days=1)}"), 422)
    assert_error_shape(community.get("/api/v1/stats/visits?group_by=mood"), 422)


def test_abnormal_visit_reports_an_incident_with_photos_in_one_request(worker, community):
    from patrol.incidents import catalog
    from tests.incidents.helpers import jpeg_bytes, upload

    catalog.seed_categories()
    person = register(community, 40, [MENTAL])
    photo = upload(worker, jpeg_bytes()).get_json()["id"]
    body = {
        "id": str(uuid.uuid4()),
        "person_id": person,
        "visited_at": datetime.now(UTC).isoformat(),
        "location": point(GRID_1),
        "method": "入户",
        "condition": "异常",
        "note": "情绪激动，有伤人倾向",
        "photo_ids": [photo],
        "incident": {"category": "0101", "description": "精神障碍患者情绪异常，需派出所协助"},
    }
    response = worker.post("/api/v1/visits", json=body)
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["photo_ids"] == [photo] and created["incident_id"]
    incident = worker.get(f"/api/v1/incidents/{created['incident_id']}").get_json()
    assert incident["source"] == "visit"
    assert worker.post("/api/v1/visits", json=body).get_json()["incident_id"] == created["incident_id"]
    assert db.session.execute(text("SELECT count(*) FROM incident")).scalar() == 1
    bad = {**body, "id": str(uuid.uuid4()), "incident": {"category": "nope", "description": "x"}}
    assert_error_shape(worker.post("/api/v1/visits", json=bad), 422)
    assert db.session.execute(text("SELECT count(*) FROM visit")).scalar() == 1


def test_explicit_patrol_link_is_kept(worker, community):
    person = register(community, 41, [ELDERLY])
    patrol_id = str(uuid.uuid4())
    created = visit(worker, person, 0, patrol_id=patrol_id)
    assert created["patrol_id"] == patrol_id


def test_visit_during_a_patrol_is_linked_to_it(worker, community, demo):
    person = register(community, 42, [ELDERLY])
    patrol_id = str(uuid.uuid4())
    started = datetime.now(UTC) - timedelta(minutes=40)
    grid = next(g for _, g in demo["workers"] if g.code == "330106010001001")
    response = worker.post(
        "/api/v1/patrols", json={"id": patrol_id, "grid_id": grid.id, "started_at": started.isoformat()}
    )
    assert response.status_code == 201, response.get_json()
    during = visit(worker, person, 0, location=point(GRID_1),
                   visited_at=(started + timedelta(minutes=10)).isoformat())  # fmt: skip
    assert during["patrol_id"] == patrol_id
    before = visit(worker, person, 0, visited_at=(started - timedelta(hours=1)).isoformat())
    assert before["patrol_id"] is None
    by_someone_else = visit(community, person, 0, visited_at=(started + timedelta(minutes=20)).isoformat())
    assert by_someone_else["patrol_id"] is None


def test_visit_and_incident_naming_a_patrol_synced_later_are_linked_when_it_arrives(worker, community, demo):
    from patrol.incidents import catalog

    catalog.seed_categories()
    person = register(community, 43, [ELDERLY])
    patrol_id = str(uuid.uuid4())
    started = datetime.now(UTC) - timedelta(minutes=30)
    created = visit(worker, person, 0, patrol_id=patrol_id)
    incident = worker.post(
        "/api/v1/incidents",
        json={"id": str(uuid.uuid4()), "location": point(GRID_1), "category": "0602", "description": "占道",
              "source": "patrol", "patrol_id": patrol_id},
    )  # fmt: skip
    assert incident.status_code == 201, incident.get_json()
    assert created["patrol_id"] == patrol_id and incident.get_json()["patrol_id"] == patrol_id
    linked = "SELECT count(*) FROM {} WHERE patrol_id = :id AND pending_patrol_id IS NULL"
    assert db.session.execute(text(linked.format("visit")), {"id": patrol_id}).scalar() == 0
    grid = next(g for _, g in demo["workers"] if g.code == "330106010001001")
    response = worker.post(
        "/api/v1/patrols", json={"id": patrol_id, "grid_id": grid.id, "started_at": started.isoformat()}
    )
    assert response.status_code == 201, response.get_json()
    db.session.remove()
    for table in ("visit", "incident"):
        assert db.session.execute(text(linked.format(table)), {"id": patrol_id}).scalar() == 1, table
    assert worker.get(f"/api/v1/visits/{created['id']}").get_json()["patrol_id"] == patrol_id
