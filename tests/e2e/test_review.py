"""The review page in headless Chromium: sign in, grids and tracks on the map, a grid's day, one incident action."""

import os
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from patrol.incidents import catalog
from patrol.localtime import today
from tests.conftest import DEMO_PASSWORD
from tests.incidents.helpers import point_in, setup_departments
from tests.maps import helpers

DESKTOP = {"width": 1400, "height": 900}


def wait_for_count(page, layer, at_least, seconds=20):
    """Poll the map's loaded-feature counter (the page's CSP forbids wait_for_function's eval)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = page.get_attribute("#map-status", f"data-{layer}")
        if value is not None and int(value) >= at_least:
            return
        page.wait_for_timeout(200)
    raise AssertionError(f"the map shows fewer than {at_least} {layer}: {page.inner_text('#map-status')!r}")


@pytest.fixture
def review_page(browser, server, app):
    if not os.path.isfile(os.path.join(app.static_folder, "review", "dist", "index.html")):
        pytest.fail("static/review/dist is missing: build the review page with `make review-web`")
    # Street-office staff work in the configured zone; the page's "today" follows the browser's clock.
    context = browser.new_context(
        base_url=server.url, viewport=DESKTOP, locale="zh-CN", timezone_id=app.config["TIMEZONE"]
    )
    context.set_default_timeout(20000)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    yield page, errors
    context.close()


def test_review_map_grid_day_and_incident_action(review_page, demo, login, tmp_path):
    page, errors = review_page
    catalog.seed_categories()
    worker = login("demo-worker")
    day = today() - timedelta(days=1)  # a whole day in the past: fixes ahead of now are refused
    helpers.walk(worker, helpers.FIRST_GRID, helpers.local_moment(day, 8))
    helpers.walk(worker, helpers.FIRST_GRID, helpers.local_moment(day, 14))
    incident = helpers.report(worker, helpers.FIRST_GRID, "0403")
    grid_id = helpers.grid(helpers.FIRST_GRID).id

    page.goto("/review/")
    page.fill("input[name=username]", "demo-street")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("#login-form button[type=submit]")

    wait_for_count(page, "grids", 12)
    page.fill("input[name=date]", day.isoformat())
    page.dispatch_event("input[name=date]", "change")
    wait_for_count(page, "tracks", 2)
    assert page.locator(".map canvas").count() >= 1

    page.select_option("select[name=grid]", str(grid_id))
    title = page.locator("[data-testid=grid-day-title]")
    title.wait_for()
    assert helpers.FIRST_GRID in title.inner_text()
    expect(page.locator("[data-testid=patrols] tr.ok")).to_have_count(2)
    page.screenshot(path=str(tmp_path / "review-grid-day.png"))

    page.click(".tabs button[data-tab=queue]")
    row = page.locator(f"li[data-id='{incident}']")
    row.locator("button[data-action=accept]").click()
    page.click("#incident-dialog [data-confirm=accept]")  # every action asks before it acts
    expect(page.locator("#incident-dialog")).to_have_attribute("data-status", "accepted")
    page.click("#incident-dialog button.close")
    page.wait_for_selector(f"li[data-id='{incident}'][data-status=accepted]")
    status = login("demo-street").get(f"/api/v1/incidents/{incident}").get_json()["status"]
    assert status == "accepted"

    page.click(".tabs button[data-tab=charts]")
    page.wait_for_selector("#chart-compliance canvas")
    page.screenshot(path=str(tmp_path / "review-charts.png"))
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors


def test_times_are_shown_in_the_configured_zone_whatever_the_browsers(browser, server, app, demo, login):
    """A reviewer's browser set to UTC still reads the street's local time (Asia/Shanghai by default)."""
    catalog.seed_categories()
    worker = login("demo-worker")
    moment = (datetime.now(UTC) - timedelta(minutes=5)).replace(second=0, microsecond=0)
    incident = helpers.report(worker, helpers.FIRST_GRID, "0403", reported_at=moment)
    local = moment.astimezone(ZoneInfo(app.config["TIMEZONE"])).strftime("%Y-%m-%d %H:%M")
    assert local != moment.strftime("%Y-%m-%d %H:%M")  # the zones differ, so the check means something

    context = browser.new_context(base_url=server.url, viewport=DESKTOP, locale="zh-CN", timezone_id="UTC")
    context.set_default_timeout(20000)
    try:
        page = context.new_page()
        page.goto("/review/")
        page.fill("input[name=username]", "demo-street")
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("#login-form button[type=submit]")
        page.click(".tabs button[data-tab=queue]")
        expect(page.locator(f"li[data-id='{incident}']")).to_contain_text(local)
    finally:
        context.close()


def test_the_queue_marks_an_upstream_work_order_with_its_deadline(review_page, app, demo, login, client):
    page, errors = review_page
    catalog.seed_categories()
    issued = login("demo-admin").post("/api/v1/open311/clients", json={"name": "12345热线"}).get_json()
    lon, lat = point_in(helpers.FIRST_GRID)["coordinates"]
    fields = {
        "api_key": issued["api_key"],
        "service_code": "0602",
        "lat": f"{lat:.6f}",
        "long": f"{lon:.6f}",
        "attribute[upstream_id]": "GD-E2E-7",
        "attribute[deadline]": (datetime.now(UTC) + timedelta(days=2)).isoformat(),
    }
    placed = client.post("/open311/v2/requests.json", data=fields)
    assert placed.status_code == 201, placed.get_data(as_text=True)
    incident = placed.get_json()[0]["service_request_id"]
    shown = login("demo-street").get(f"/api/v1/incidents/{incident}").get_json()["upstream_deadline"]

    page.goto("/review/")
    page.fill("input[name=username]", "demo-street")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("#login-form button[type=submit]")
    page.click(".tabs button[data-tab=queue]")
    badge = page.locator(f"li[data-id='{incident}'] .badge.upstream[data-upstream-id='GD-E2E-7']")
    badge.wait_for()
    text = badge.inner_text()
    local = datetime.fromisoformat(shown).astimezone(ZoneInfo(app.config["TIMEZONE"])).strftime("%Y-%m-%d %H:%M")
    assert "上级工单" in text and "12345热线" in text and local in text
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors


def test_dispatch_asks_for_the_department_and_shows_where_the_case_went(review_page, demo, login):
    page, errors = review_page
    setup_departments()
    worker = login("demo-worker")
    incident = helpers.report(worker, helpers.FIRST_GRID, "0403")
    street = login("demo-street")
    assert street.post(f"/api/v1/incidents/{incident}/actions", json={"action": "accept"}).status_code == 200
    departments = {d["code"]: d for d in street.get("/api/v1/incidents/departments").get_json()}
    category = next(c for c in street.get("/api/v1/incidents/categories").get_json() if c["code"] == "0403")
    default = departments[category["department_code"]]
    other = next(d for code, d in departments.items() if code != default["code"])

    page.goto("/review/")
    page.fill("input[name=username]", "demo-street")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("#login-form button[type=submit]")
    page.click(".tabs button[data-tab=queue]")
    page.locator(f"li[data-id='{incident}'] button[data-action=dispatch]").click()
    dialog = page.locator("#incident-dialog")
    select = dialog.locator("select[name=department_id]")
    expect(select).to_have_value(str(default["id"]))  # the category's department is proposed
    expect(dialog.locator("[data-testid=incident-facts]")).to_contain_text("上报人")
    assert "null" not in dialog.inner_text() and "undefined" not in dialog.inner_text()
    select.select_option(str(other["id"]))
    dialog.locator("[data-confirm=dispatch]").click()
    expect(dialog).to_have_attribute("data-status", "dispatched")
    expect(dialog.locator("[data-testid=incident-facts]")).to_contain_text(other["name"])
    expect(dialog.locator("[data-testid=incident-history] li")).to_have_count(3)  # reported, accepted, dispatched
    assert street.get(f"/api/v1/incidents/{incident}").get_json()["department"]["id"] == other["id"]

    page.locator("#incident-dialog button.close").click()
    page.locator(f"li[data-id='{incident}'] .open-detail").click()
    expect(dialog).to_contain_text(other["name"])
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors


def test_street_staff_add_and_deactivate_an_account(review_page, demo, login):
    page, errors = review_page
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto("/review/")
    page.fill("input[name=username]", "demo-street")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("#login-form button[type=submit]")
    page.click(".tabs button[data-tab=accounts]")
    form = page.locator("[data-testid=new-account]")
    form.locator("input[name=full_name]").fill("王新")
    form.locator("input[name=username]").fill("new-worker")
    form.locator("select[name=role]").select_option("worker")
    form.locator("select[name=area_code]").select_option(helpers.FIRST_GRID)
    form.locator("input[name=password]").fill("a-long-first-password")
    form.locator("button[type=submit]").click()
    row = page.locator("[data-testid=accounts] tr[data-user=new-worker]")
    expect(row).to_contain_text("网格员")
    login("new-worker", "a-long-first-password")  # the new account signs in (asserted by the fixture)

    row.locator("button[data-toggle=new-worker]").click()
    expect(row).to_contain_text("已停用")
    users = login("demo-street").get("/api/v1/users").get_json()
    created = next(u for u in users if u["username"] == "new-worker")
    assert created["active"] is False and created["role"] == "worker" and created["area_code"] == helpers.FIRST_GRID
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e], errors
