"""GET /api/v1/sync/pull: the worker's grids and features' records, incrementally by cursor."""

from datetime import date, timedelta

from shapely.geometry import shape
from sqlalchemy import select, update

from patrol.areas.models import Area, GridAssignment
from patrol.auth.models import User
from patrol.extensions import db
from patrol.localtime import utcnow
from patrol.sync import cursor
from tests.conftest import assert_error_shape


def test_pull_needs_a_token(client):
    assert_error_shape(client.get("/api/v1/sync/pull"), 401)


def test_first_pull_sends_the_workers_grid_only(demo, login):
    body = login("demo-worker").get("/api/v1/sync/pull").get_json()
    grid = db.session.execute(select(Area).where(Area.code == "330106010001001")).scalar_one()
    assert body["full"] is True
    assert body["grid_ids"] == [grid.id]
    assert [feature["properties"]["code"] for feature in body["grids"]] == ["330106010001001"]
    assert shape(body["grids"][0]["geometry"]).is_valid
    assert body["user"]["username"] == "demo-worker" and body["user"]["role"] == "worker"
    assert body["basemap"] == {
        "url": "", "labels_url": "", "subdomains": "", "attribution": "", "crs": "wgs84", "max_zoom": 18
    }
    assert body["timezone"] == "Asia/Shanghai"
    assert isinstance(body["records"], dict)
    assert cursor.decode(body["cursor"]) <= utcnow()


def test_a_community_admin_pulls_the_communitys_grids(demo, login):
    body = login("demo-community").get("/api/v1/sync/pull").get_json()
    codes = sorted(feature["properties"]["code"] for feature in body["grids"])
    assert codes == [f"330106010001{n:03d}" for n in range(1, 5)]


def age_the_demo():
    """Date the demo's areas and assignments an hour back, beyond the cursor's overlap."""
    hour_ago = utcnow() - timedelta(hours=1)
    db.session.execute(update(Area).values(updated_at=hour_ago))
    db.session.execute(update(GridAssignment).values(created_at=hour_ago))
    db.session.commit()


def test_pull_with_the_cursor_sends_only_what_changed(demo, login):
    age_the_demo()
    worker = login("demo-worker")
    first = worker.get("/api/v1/sync/pull").get_json()
    old = first["cursor"]
    second = worker.get("/api/v1/sync/pull", query_string={"since": old}).get_json()
    assert second["full"] is False
    assert second["grids"] == []
    assert second["grid_ids"] == first["grid_ids"]

    db.session.execute(update(Area).where(Area.id == first["grid_ids"][0]).values(name="改名网格"))
    db.session.commit()
    third = worker.get("/api/v1/sync/pull", query_string={"since": old}).get_json()
    assert [feature["properties"]["name"] for feature in third["grids"]] == ["改名网格"]


def test_a_grid_newly_assigned_comes_with_the_next_pull(demo, login):
    age_the_demo()
    worker = login("demo-worker")
    old = worker.get("/api/v1/sync/pull").get_json()["cursor"]
    user = db.session.execute(select(User).where(User.username == "demo-worker")).scalar_one()
    other = db.session.execute(select(Area).where(Area.code == "330106010001002")).scalar_one()
    db.session.add(GridAssignment(user_id=user.id, grid_id=other.id, start_date=date(2020, 1, 1)))
    db.session.commit()
    body = worker.get("/api/v1/sync/pull", query_string={"since": old}).get_json()
    assert [feature["properties"]["code"] for feature in body["grids"]] == ["330106010001002"]
    assert len(body["grid_ids"]) == 2


def test_the_cursor_overlaps_so_late_commits_are_not_missed():
    moment = utcnow()
    assert moment - cursor.decode(cursor.encode(moment)) == cursor.OVERLAP


def test_a_foreign_cursor_is_refused(demo, login):
    worker = login("demo-worker")
    for bad in ("nonsense", "Yzk6MTIz", "x" * 100, "%%%"):
        assert_error_shape(worker.get("/api/v1/sync/pull", query_string={"since": bad}), 422)
    assert_error_shape(worker.get("/api/v1/sync/pull", query_string={"since": "", "more": 1}), 422)
