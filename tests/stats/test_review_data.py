"""The review page's data: filter choices, dashboard series, a grid's day, a patrol's replay, overdue people."""

from tests.conftest import assert_error_shape
from tests.maps import helpers


def test_context_lists_the_filters_in_scope(demo, login):
    body = login("demo-community").get("/api/v1/review/context").get_json()
    assert body["user"]["role"] == "community_admin"
    assert [c["code"] for c in body["communities"]] == ["330106010001"]
    assert len(body["grids"]) == 4 and len(body["workers"]) == 4
    assert {s["code"] for s in body["statuses"]} >= {"reported", "dispatched", "closed"}


def check_dashboard_series(prepared_day, login):
    street = login("demo-street")
    day = prepared_day["day"]
    body = street.get(f"/api/v1/review/dashboard?from={day}&to={day}").get_json()
    assert body["compliance_by_day"] == [
        {"day": str(day), "grid_days": 12, "compliant_days": 1, "rate": round(1 / 12, 4)}
    ]
    assert body["on_time_close_rate"] == 0.5
    assert sum(r["total"] for r in body["incidents_by_status"]) == 3
    assert sum(v["done"] for v in body["visits"]) == 1


def test_grid_day_explains_each_patrol(prepared_day, login):
    street = login("demo-street")
    grid = helpers.grid(helpers.FIRST_GRID)
    body = street.get(f"/api/v1/review/grids/{grid.id}/day?date={prepared_day['day']}").get_json()
    assert [p["shift"] for p in body["patrols"]] == ["am", "pm"]
    assert all(p["valid"] and p["reasons_zh"] == [] for p in body["patrols"])
    assert [i["id"] for i in body["incidents"]] == [prepared_day["a"]]
    assert len(body["visits"]) == 1 and body["visits"][0]["person"].endswith("*")
    replay = street.get(f"/api/v1/review/patrols/{body['patrols'][0]['id']}/replay").get_json()
    times = [p[0] for p in replay["points"]]
    assert len(times) == 85 and times == sorted(times)
    check_dashboard_series(prepared_day, login)
    check_grid_day_outside_scope_is_refused(prepared_day, login)


def check_grid_day_outside_scope_is_refused(prepared_day, login):
    grid = helpers.grid(helpers.OTHER_COMMUNITY_GRID)
    assert_error_shape(login("demo-community").get(f"/api/v1/review/grids/{grid.id}/day"), 403)
    assert_error_shape(login("demo-worker").get("/api/v1/review/dashboard"), 403)


def test_overdue_people_are_masked(demo, login):
    community = login("demo-community")
    from tests.people.helpers import person_body

    created = community.post("/api/v1/people", json=person_body(9, registered_on="2025-01-01"))
    assert created.status_code == 201
    body = community.get("/api/v1/review/overdue-people").get_json()
    for feature in body["features"]:
        assert set(feature["properties"]) <= {
            "person_id",
            "name",
            "grid_code",
            "categories",
            "attention_level",
            "due_date",
            "days_overdue",
        }
        assert "测试人员9" not in str(feature)
