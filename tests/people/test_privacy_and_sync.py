"""No response outside reveal carries an ID number or phone; sync ops; the demo seeder."""

import io
import uuid
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from marshmallow import ValidationError
from sqlalchemy import func, select, text

from patrol.auth.models import User
from patrol.extensions import db
from patrol.people import idcard, sync_ops
from patrol.people.models import Person, Visit
from tests.people.helpers import GRID_1, person_body, point


def _plain_texts(response):
    data = response.data
    if data[:2] == b"PK":  # XLSX: look inside every part
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            return " ".join(book.read(name).decode("utf-8", "ignore") for name in book.namelist())
    return data.decode("utf-8", "ignore")


def test_no_response_but_reveal_contains_the_numbers(demo, login):
    community, worker, street = login("demo-community"), login("demo-worker"), login("demo-street")
    body = person_body(50, phone="13712345678")
    secrets = (body["id_number"], body["phone"], body["id_number"][6:14] + body["id_number"][14:])
    created = community.post("/api/v1/people", json=body)
    person = created.get_json()["id"]
    visit_body = {"id": str(uuid.uuid4()), "person_id": person, "visited_at": datetime.now(UTC).isoformat(),
                  "location": point(GRID_1), "method": "入户", "condition": "正常"}  # fmt: skip
    seen = []

    def keep(response):
        seen.append((response.request.path, response.status_code, _plain_texts(response)))
        response.close()  # streamed exports are read to the end before the next request

    keep(created)
    keep(community.patch(f"/api/v1/people/{person}", json={"notes": "更新备注", "phone": "13712345678"}))
    keep(worker.post("/api/v1/visits", json=visit_body))
    keep(worker.post("/api/v1/visits", json=visit_body))
    keep(community.post("/api/v1/people", json=body))  # duplicate → 409
    keep(community.post("/api/v1/people", json={**body, "id_number": body["id_number"][:-1] + "Z"}))
    for api in (community, worker, street):
        for url in (
            "/api/v1/people",
            f"/api/v1/people/{person}",
            f"/api/v1/people/{person}/visits",
            "/api/v1/visits",
            f"/api/v1/visits/{visit_body['id']}",
            "/api/v1/visits/due?within_days=400",
            "/api/v1/visits/intervals",
            "/api/v1/people/categories",
            "/api/v1/people/import-template",
            "/api/v1/people?format=csv",
            "/api/v1/people?format=xlsx",
            "/api/v1/stats/visits",
            "/api/v1/stats/visits?format=csv",
            "/api/v1/stats/visits?format=xlsx&group_by=worker",
            "/api/v1/audit",
        ):
            keep(api.get(url))
    assert len(seen) == 51
    assert sum("137****5678" in content for _, status, content in seen if status == 200) >= 10
    for path, status, content in seen:
        assert status < 500, path
        for secret in secrets:
            assert secret not in content, (path, status)
    revealed = community.post(f"/api/v1/people/{person}/reveal", json={"reason": "核对"}).get_json()
    assert revealed["id_number"] == body["id_number"]


def test_sync_push_is_idempotent_and_rejects_bad_payloads(demo, login):
    community = login("demo-community")
    person = community.post("/api/v1/people", json=person_body(51)).get_json()["id"]
    user = db.session.execute(select(User).where(User.username == "demo-worker")).scalar_one()
    payload = {"id": str(uuid.uuid4()), "person_id": person, "visited_at": datetime.now(UTC).isoformat(),
               "method": "视频", "condition": "正常"}  # fmt: skip
    created, result = sync_ops.OPERATIONS["visit.log"](user, payload)
    assert created is True and result["id"] == payload["id"]
    again, replay = sync_ops.OPERATIONS["visit.log"](user, payload)
    assert again is False and replay == result
    with pytest.raises(ValidationError):
        sync_ops.OPERATIONS["visit.log"](user, {**payload, "method": "托梦"})
    assert db.session.execute(select(func.count()).select_from(Visit)).scalar() == 1


def test_sync_pull_gives_the_worker_their_people_masked_and_changed_since(demo, login):
    community = login("demo-community")
    body = person_body(52)
    person = community.post("/api/v1/people", json=body).get_json()["id"]
    community.post("/api/v1/people", json=person_body(53, where=(120.1245, 30.2829)))  # another worker's grid
    user = db.session.execute(select(User).where(User.username == "demo-worker")).scalar_one()
    pulled = sync_ops.pull(user, None)["people"]
    assert [p["id"] for p in pulled] == [person]
    assert pulled[0]["id_number"] == idcard.mask_id(body["id_number"])
    assert pulled[0]["next_due_date"] and pulled[0]["categories"][0]["category"] == "elderly_alone"
    assert pulled[0]["location"]["type"] == "Point" and pulled[0]["attention_level"] == 1
    later = datetime.now(UTC) + timedelta(seconds=1)
    assert sync_ops.pull(user, later) == {"people": []}
    before_visit = datetime.now(UTC)
    sync_ops.OPERATIONS["visit.log"](user, {"id": str(uuid.uuid4()), "person_id": person,
                                            "visited_at": datetime.now(UTC).isoformat(), "method": "入户",
                                            "condition": "正常"})  # fmt: skip
    assert [p["id"] for p in sync_ops.pull(user, before_visit)["people"]] == [person]


def test_demo_seed_is_realistic_idempotent_and_valid(demo):
    from patrol.demo import DemoContext
    from patrol.localtime import today
    from patrol.people import demo as people_demo
    from patrol.people import pii

    context = DemoContext(password="x", first_day=today() - timedelta(days=29), last_day=today(),
                          workers=demo["workers"])  # fmt: skip
    people_demo.seed(context)
    counts = db.session.execute(text("SELECT count(*), count(DISTINCT grid_id) FROM person")).one()
    assert counts == (120, 12)
    visits = db.session.execute(select(func.count()).select_from(Visit)).scalar()
    assert visits > 120
    people_demo.seed(context)
    assert db.session.execute(select(func.count()).select_from(Person)).scalar() == 120
    assert db.session.execute(select(func.count()).select_from(Visit)).scalar() == visits
    for person in db.session.execute(select(Person).limit(20)).scalars():
        number = pii.revealed(person)["id_number"]
        assert idcard.validate(number) == number
    categories = set(db.session.execute(text("SELECT DISTINCT category FROM person_category")).scalars())
    assert {"elderly_alone", "severe_mental_disorder", "released_prisoner", "left_behind_child"} <= categories
    from patrol.people import schedule

    admin = db.session.execute(select(User).where(User.username == "demo-admin")).scalar_one()
    due = schedule.due_list(admin, within_days=0)
    assert any(row["days_overdue"] > 0 for row in due)  # some are overdue
    assert len(due) < 120
