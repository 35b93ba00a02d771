import json

import pytest
from sqlalchemy import text

from patrol.audit.models import AuditEntry
from patrol.extensions import db
from tests.conftest import assert_error_shape
from tests.people.helpers import GRID_1, GRID_2, OTHER_COMMUNITY, OUTSIDE_STREET, id_number, person_body, point


@pytest.fixture
def community(demo, login):
    return login("demo-community")


def create(api, body):
    response = api.post("/api/v1/people", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_register_masks_derives_and_finds_the_grid(community, demo):
    body = person_body(1, categories=[
        {"category": "severe_mental_disorder", "extra": {"risk_level": 4, "guardian": "母亲"}},
        {"category": "disabled", "extra": {"disability_type": "精神", "disability_grade": 2}},
    ])  # fmt: skip
    person = create(community, body)
    assert person["id_number"] == body["id_number"][:6] + "*" * 11 + body["id_number"][-1]
    assert person["phone"] == "138****0001"
    assert person["gender"] == "M" and person["birth_year"] == 1980 and "birth_date" not in person
    assert person["grid_code"] == "330106010001001"
    assert person["attention_level"] == 3  # risk level 4 → 重点
    assert person["interval_days"] == 14
    assert [c["category"] for c in person["categories"]] == ["disabled", "severe_mental_disorder"]
    worker = next(w for w, g in demo["workers"] if g.code == "330106010001001")
    assert person["worker_ids"] == [worker.id]


def test_database_holds_no_plain_id_number_or_phone(community):
    body = person_body(2)
    create(community, body)
    rows = db.session.execute(text("SELECT row_to_json(p)::text FROM person p")).scalars().all()
    assert len(rows) == 1
    dump = rows[0]
    assert body["id_number"] not in dump and body["phone"] not in dump
    assert body["id_number"][6:14] not in dump  # not even the birth-date digits in sequence
    audit = db.session.execute(text("SELECT string_agg(row_to_json(a)::text, ' ') FROM audit_entry a")).scalar()
    assert body["id_number"] not in audit and body["phone"] not in audit


def test_category_extra_fields_are_validated_per_category(community):
    bad = person_body(3, categories=[{"category": "severe_mental_disorder", "extra": {"risk_level": 9}}])
    body = assert_error_shape(community.post("/api/v1/people", json=bad), 422)
    assert "severe_mental_disorder" in json.dumps(body["errors"])
    missing = person_body(3, categories=[{"category": "released_prisoner", "extra": {}}])
    assert_error_shape(community.post("/api/v1/people", json=missing), 422)
    unknown = person_body(3, categories=[{"category": "released_prisoner", "extra": {"release_date": "2024-01-01",
                                                                                       "colour": "red"}}])  # fmt: skip
    assert_error_shape(community.post("/api/v1/people", json=unknown), 422)
    assert_error_shape(community.post("/api/v1/people", json=person_body(3, categories=[{"category": "alien"}])), 422)


BAD_REGISTRATIONS = [
    {"id_number": id_number(seq=5)[:-1] + ("0" if id_number(seq=5)[-1] != "0" else "1")},
    {"gender": "F"},
    {"birth_date": "1980-01-02"},
    {"phone": "12345"},
    {"location": point(OUTSIDE_STREET)},
    {"location": point(OTHER_COMMUNITY)},
    {"location": {"type": "Point", "coordinates": [float("nan"), 30.0]}},
    {"location": None},
    {"attention_level": 7},
    {"shoe_size": 42},
    {"categories": []},
    {"name": "   "},
    {"registered_on": "2999-01-01"},
    {"grid_id": 2**31, "location": None},
    {"worker_ids": [2**40]},
]


def test_bad_registrations_are_refused_and_store_nothing(community):
    for overrides in BAD_REGISTRATIONS:
        body = person_body(5, **overrides)
        response = community.post(
            "/api/v1/people", data=json.dumps(body, allow_nan=True), headers={"Content-Type": "application/json"}
        )
        assert 400 <= response.status_code < 500, overrides
        assert_error_shape(response, response.status_code)
    assert db.session.execute(text("SELECT count(*) FROM person")).scalar() == 0


def test_duplicates_are_found_by_blind_index(community):
    first = create(community, person_body(6))
    again = assert_error_shape(community.post("/api/v1/people", json=person_body(6, name="别名")), 409)
    assert again["errors"] == {"person_id": first["id"]}


def test_workers_see_only_people_of_their_grids(community, login):
    mine = create(community, person_body(7, where=GRID_1))
    theirs = create(community, person_body(8, where=GRID_2))
    worker = login("demo-worker")
    listed = worker.get("/api/v1/people").get_json()
    assert [p["id"] for p in listed] == [mine["id"]]
    assert worker.get(f"/api/v1/people/{mine['id']}").status_code == 200
    assert_error_shape(worker.get(f"/api/v1/people/{theirs['id']}"), 404)
    assert_error_shape(worker.get(f"/api/v1/people/{theirs['id']}/visits"), 404)
    assert_error_shape(worker.post("/api/v1/people", json=person_body(9)), 403)
    assert_error_shape(worker.patch(f"/api/v1/people/{mine['id']}", json={"notes": "x"}), 403)
    other_community_worker = login("demo-worker5")
    assert other_community_worker.get("/api/v1/people").get_json() == []
    assert_error_shape(login("demo-community").get("/api/v1/people/2147483647"), 404)


def test_reveal_needs_a_reason_and_a_manager_and_is_audited(community, login):
    body = person_body(10)
    person = create(community, body)
    url = f"/api/v1/people/{person['id']}/reveal"
    assert_error_shape(community.post(url, json={}), 422)
    assert_error_shape(community.post(url, json={"reason": " "}), 422)
    assert_error_shape(login("demo-worker").post(url, json={"reason": "入户核实身份"}), 403)
    assert_error_shape(login("demo-worker5").post(url, json={"reason": "入户核实身份"}), 403)
    before = db.session.query(AuditEntry).filter_by(action="people.reveal").count()
    assert before == 0
    for api in (community, login("demo-street")):
        revealed = api.post(url, json={"reason": "办理低保需核对身份"})
        assert revealed.status_code == 200, revealed.get_json()
        assert revealed.get_json()["id_number"] == body["id_number"]
        assert revealed.get_json()["phone"] == body["phone"]
    entries = db.session.query(AuditEntry).filter_by(action="people.reveal").all()
    assert len(entries) == 2
    assert {e.actor_username for e in entries} == {"demo-community", "demo-street"}
    assert all(e.detail == {"reason": "办理低保需核对身份"} and e.object_id == str(person["id"]) for e in entries)
    assert all(e.area_code == "330106010001001" for e in entries)


def test_update_re_encrypts_changed_values_and_audits(community):
    person = create(community, person_body(11))
    changed = community.patch(
        f"/api/v1/people/{person['id']}",
        json={"phone": "13999998888", "attention_level": 2, "active": False, "location": point(GRID_2)},
    )
    assert changed.status_code == 200, changed.get_json()
    body = changed.get_json()
    assert body["phone"] == "139****8888" and body["grid_code"] == "330106010001002" and body["active"] is False
    assert "13999998888" not in db.session.execute(text("SELECT row_to_json(p)::text FROM person p")).scalar()
    entry = db.session.query(AuditEntry).filter_by(action="people.update").one()
    assert set(entry.detail["fields"]) == {"phone", "attention_level", "active", "location"}
    revealed = community.post(f"/api/v1/people/{person['id']}/reveal", json={"reason": "核对电话"}).get_json()
    assert revealed["phone"] == "13999998888"


def test_export_masks_by_default_and_unmasked_needs_a_reason(community, login):
    body = person_body(12)
    create(community, body)
    csv = community.get("/api/v1/people?format=csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    text_body = csv.get_data(as_text=True)
    assert body["id_number"] not in text_body and body["phone"] not in text_body
    assert body["id_number"][:6] + "********" in text_body
    xlsx = community.get("/api/v1/people?format=xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    assert_error_shape(community.get("/api/v1/people?format=csv&unmasked=true"), 403)
    assert_error_shape(login("demo-worker").get("/api/v1/people?format=csv&unmasked=true&reason=需要"), 403)
    full = community.get("/api/v1/people?format=csv&unmasked=true&reason=报送区综治中心")
    assert body["id_number"] in full.get_data(as_text=True)
    exports = db.session.query(AuditEntry).filter_by(action="people.export").order_by(AuditEntry.id).all()
    assert [e.detail["unmasked"] for e in exports] == [False, False, True]
    assert exports[-1].detail["reason"] == "报送区综治中心"


def test_key_rotation_re_encrypts_and_values_still_reveal(app, community, runner):
    from patrol.people import crypto

    bodies = [person_body(n) for n in (13, 14)]
    people = [create(community, b) for b in bodies]
    saved = {k: app.config.get(k) for k in ("PII_KEY", "PII_OLD_KEYS")}
    old_key = crypto.PiiKey(saved["PII_KEY"] or crypto.TEST_KEY)
    new = crypto.generate_key()
    try:
        app.config.update(PII_KEY=new, PII_OLD_KEYS=saved["PII_KEY"] or crypto.TEST_KEY)
        # before rotating, duplicates are still found (old blind index) and values still reveal
        assert_error_shape(community.post("/api/v1/people", json=bodies[0]), 409)
        result = runner.invoke(args=["rotate-pii-key"])
        assert result.exit_code == 0, result.output
        assert "2 person" in result.output
        kids = db.session.execute(text("SELECT DISTINCT split_part(id_number_enc, ':', 1) FROM person")).scalars()
        assert set(kids) == {crypto.PiiKey(new).kid} != {old_key.kid}
        app.config.update(PII_OLD_KEYS="")  # the old key is gone: everything must still read
        for person, body in zip(people, bodies, strict=True):
            revealed = community.post(f"/api/v1/people/{person['id']}/reveal", json={"reason": "轮换后核对"})
            assert revealed.get_json()["id_number"] == body["id_number"]
            assert revealed.get_json()["phone"] == body["phone"]
        assert_error_shape(community.post("/api/v1/people", json=bodies[1]), 409)
        assert runner.invoke(args=["rotate-pii-key"]).output.startswith("re-encrypted 0")
    finally:
        app.config.update(saved)


def test_filters_and_categories_listing(community, login):
    create(community, person_body(15))
    create(community, person_body(16, categories=[{"category": "hardship_family", "extra": {}}]))
    assert len(community.get("/api/v1/people?category=hardship_family").get_json()) == 1
    assert len(community.get("/api/v1/people?q=测试人员1").get_json()) == 2
    assert_error_shape(community.get("/api/v1/people?category=alien"), 422)
    assert_error_shape(community.get("/api/v1/people?area_id=999999"), 404)
    cats = login("demo-worker").get("/api/v1/people/categories").get_json()
    assert len(cats["categories"]) == 10
    assert {c["label"] for c in cats["categories"]} >= {"刑满释放人员", "社区矫正人员", "留守儿童"}
