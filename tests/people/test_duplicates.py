"""An ID number registered in another area: stored and recorded as a duplicate, never revealed;
dry-run imports audited and limited per user."""

import threading

import pytest
from sqlalchemy import select, text

from patrol.audit.models import AuditEntry
from patrol.auth import service as auth
from patrol.extensions import db
from tests.conftest import DEMO_PASSWORD, assert_error_shape
from tests.people.helpers import GRID_1, OTHER_COMMUNITY, id_number, person_body
from tests.people.test_import import post, workbook

ZHUYUAN = "330106010002"  # the demo street's second community


@pytest.fixture
def wenxi(demo, login):
    return login("demo-community")


@pytest.fixture
def zhuyuan(demo, login):
    auth.create_user("zhuyuan-admin", DEMO_PASSWORD, "community_admin", "竹苑社区工作站", ZHUYUAN)
    return login("zhuyuan-admin")


def _ledger_row(name, number, where):
    return [name, number, None, "竹苑街1号", where[0], where[1], "独居/空巢老人", None, None, None, None, None]


def test_registering_a_number_of_another_area_answers_as_for_a_new_number(wenxi, zhuyuan, login):
    first = wenxi.post("/api/v1/people", json=person_body(1, where=GRID_1))
    assert first.status_code == 201
    unknown = zhuyuan.post("/api/v1/people", json=person_body(2, where=OTHER_COMMUNITY))
    known = zhuyuan.post("/api/v1/people", json=person_body(1, where=OTHER_COMMUNITY, name="同号他人"))
    assert unknown.status_code == known.status_code == 201, known.get_json()
    assert set(known.get_json()) == set(unknown.get_json())
    assert "another area" not in known.get_data(as_text=True) and "其他辖区" not in known.get_data(as_text=True)
    # inside the caller's own scope a repeated number is still refused, naming the record it may see
    again = assert_error_shape(zhuyuan.post("/api/v1/people", json=person_body(1, where=OTHER_COMMUNITY)), 409)
    assert again["errors"] == {"person_id": known.get_json()["id"]}
    street = login("demo-street")
    [duplicate] = street.get("/api/v1/people/duplicates").get_json()
    assert {p["id"] for p in duplicate["persons"]} == {first.get_json()["id"], known.get_json()["id"]}
    assert all(p["id_number"].count("*") == 11 for p in duplicate["persons"])
    assert duplicate["resolution"] is None


def test_dry_run_and_import_do_not_tell_a_number_of_another_area(wenxi, zhuyuan, login):
    taken = id_number("19600505", 31)
    assert wenxi.post("/api/v1/people", json=person_body(31, where=GRID_1, id_number=taken)).status_code == 201
    fresh = id_number("19600505", 32)
    reports = [
        post(zhuyuan, workbook([_ledger_row("甲", number, OTHER_COMMUNITY)]), dry_run=True).get_json()
        for number in (taken, fresh)
    ]
    assert reports[0] == reports[1] == {"dry_run": True, "rows": 1, "created": 1, "updated": 0, "unchanged": 0,
                                        "problems": []}  # fmt: skip
    stored = post(zhuyuan, workbook([_ledger_row("甲", taken, OTHER_COMMUNITY)]), dry_run=False)
    assert stored.status_code == 200 and stored.get_json()["created"] == 1, stored.get_json()
    assert db.session.execute(text("SELECT count(*) FROM person_duplicate")).scalar() == 1
    [duplicate] = login("demo-admin").get("/api/v1/people/duplicates?resolved=false").get_json()
    assert sorted(p["grid_code"][:12] for p in duplicate["persons"]) == ["330106010001", ZHUYUAN]


def test_street_or_admin_resolves_a_duplicate(wenxi, zhuyuan, login):
    kept = wenxi.post("/api/v1/people", json=person_body(5, where=GRID_1)).get_json()
    dropped = zhuyuan.post("/api/v1/people", json=person_body(5, where=OTHER_COMMUNITY)).get_json()
    for role_user in ("demo-community", "demo-worker"):
        assert_error_shape(login(role_user).get("/api/v1/people/duplicates"), 403)
    assert_error_shape(zhuyuan.get("/api/v1/people/duplicates"), 403)
    street = login("demo-street")
    [duplicate] = street.get("/api/v1/people/duplicates").get_json()
    url = f"/api/v1/people/duplicates/{duplicate['id']}/resolve"
    assert_error_shape(wenxi.post(url, json={"resolution": "keep_both"}), 403)
    assert_error_shape(street.post(url, json={"resolution": "keep_one"}), 422)
    assert_error_shape(street.post(url, json={"resolution": "keep_one", "keep_person_id": 999999}), 422)
    assert_error_shape(street.post(url, json={"resolution": "merge"}), 422)
    assert_error_shape(street.post("/api/v1/people/duplicates/999999/resolve", json={"resolution": "keep_both"}), 404)
    done = street.post(url, json={"resolution": "keep_one", "keep_person_id": kept["id"], "note": "已核实实际居住地"})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["resolution"] == "keep_one" and done.get_json()["kept_person_id"] == kept["id"]
    assert zhuyuan.get(f"/api/v1/people/{dropped['id']}").get_json()["active"] is False
    assert wenxi.get(f"/api/v1/people/{kept['id']}").get_json()["active"] is True
    assert_error_shape(street.post(url, json={"resolution": "keep_both"}), 409)
    assert street.get("/api/v1/people/duplicates?resolved=false").get_json() == []
    actions = db.session.execute(select(AuditEntry.action).order_by(AuditEntry.id)).scalars().all()
    assert "people.duplicate" in actions and actions[-1] == "people.duplicate.resolve"


def test_dry_runs_are_audited_and_limited_per_user(app, wenxi, zhuyuan):
    book = workbook([_ledger_row("乙", id_number("19700101", 41), GRID_1)])
    saved = app.config["PEOPLE_DRY_RUNS_PER_HOUR"]
    app.config["PEOPLE_DRY_RUNS_PER_HOUR"] = 2
    try:
        assert [post(wenxi, book, dry_run=True).status_code for _ in range(2)] == [200, 200]
        refused = post(wenxi, book, dry_run=True)
        assert_error_shape(refused, 429)
        assert 1 <= int(refused.headers["Retry-After"]) <= 3601
        assert post(zhuyuan, workbook([]), dry_run=True).status_code == 200  # another user has their own budget
        assert post(wenxi, book, dry_run=False).status_code == 200  # real imports are not dry runs
    finally:
        app.config["PEOPLE_DRY_RUNS_PER_HOUR"] = saved
    entries = db.session.execute(
        select(AuditEntry.actor_username).where(AuditEntry.action == "people.import.dry_run").order_by(AuditEntry.id)
    ).scalars()
    assert list(entries) == ["demo-community", "demo-community", "zhuyuan-admin"]


def test_the_dry_run_limit_is_a_setting():
    from patrol.config import ConfigError, load_config

    env = {"SECRET_KEY": "x" * 40, "GRIDPATROL_TESTING": "1"}
    assert load_config(env)["PEOPLE_DRY_RUNS_PER_HOUR"] == 20
    assert load_config({**env, "PEOPLE_DRY_RUNS_PER_HOUR": "5"})["PEOPLE_DRY_RUNS_PER_HOUR"] == 5
    with pytest.raises(ConfigError):
        load_config({**env, "PEOPLE_DRY_RUNS_PER_HOUR": "0"})


def test_parallel_registrations_of_one_number(app, wenxi, zhuyuan):
    """Without a unique constraint the registry lock keeps one record per scope and records the pair once."""
    results = []
    barrier = threading.Barrier(4)

    def register(api, where):
        client = app.test_client()
        barrier.wait()
        response = client.post("/api/v1/people", json=person_body(61, where=where), headers=api.headers)
        results.append((where, response.status_code))

    callers = [(wenxi, GRID_1), (wenxi, GRID_1), (zhuyuan, OTHER_COMMUNITY), (zhuyuan, OTHER_COMMUNITY)]
    threads = [threading.Thread(target=register, args=caller) for caller in callers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(status for _, status in results) == [201, 201, 409, 409]
    assert db.session.execute(text("SELECT count(*) FROM person")).scalar() == 2
    assert db.session.execute(text("SELECT count(*) FROM person_duplicate")).scalar() == 1
