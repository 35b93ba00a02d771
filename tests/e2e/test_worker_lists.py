"""Home leads somewhere: a grid's "due" link lists only who is due there; my incidents open."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from tests.e2e.helpers import sign_in, wait_synced
from tests.incidents.helpers import jpeg_bytes, report_body, upload
from tests.people.helpers import GRID_1, person_body


def test_the_due_link_lists_only_people_due_and_incidents_open(app, categories, login, page):
    community, worker = login("demo-community"), login("demo-worker")
    long_ago = (date.today() - timedelta(days=400)).isoformat()
    due = community.post("/api/v1/people", json=person_body(1, GRID_1, registered_on=long_ago)).get_json()
    fresh = community.post("/api/v1/people", json=person_body(2, GRID_1))
    assert fresh.status_code == 201, fresh.get_json()
    photo = upload(worker, jpeg_bytes()).get_json()["id"]
    reported = worker.post("/api/v1/incidents", json=report_body(description="井盖松动", photo_ids=[photo])).get_json()
    incident = reported["id"]
    local_clock = datetime.fromisoformat(reported["reported_at"]).astimezone(ZoneInfo(app.config["TIMEZONE"]))

    sign_in(page)
    wait_synced(page)
    page.click("[data-due-link]")
    rows = page.locator("#people-due li")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(due["name"])
    expect(rows.first).to_have_attribute("data-overdue", "yes")
    expect(rows.first).to_contain_text("逾期")
    page.click("#show-all-people")
    expect(rows).to_have_count(2)

    page.goto("/app/#/")
    row = page.locator(f"[data-incident='{incident}']")
    expect(row).to_contain_text(local_clock.strftime("%H:%M"))  # the browser runs in UTC: the zone is the server's
    row.click()
    detail = page.locator("#incident-detail")
    expect(detail).to_contain_text("井盖松动")
    expect(detail).to_contain_text("待受理")
    expect(detail).to_contain_text("上报时间")
    expect(page.locator("#incident-history li")).to_have_count(1)  # online: the case's history from the server
    expect(page.locator("#incident-history")).to_contain_text("上报")
    expect(page.locator("#incident-photos img")).to_have_count(1)  # fetched with the sign-in, shown from a blob
