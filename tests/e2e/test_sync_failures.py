"""A response lost after the server applied the push, and a record the server refuses."""

from playwright.sync_api import expect
from sqlalchemy import text

from patrol.extensions import db
from tests.e2e.conftest import WALK
from tests.e2e.helpers import choose_category, expect_pending, sign_in, wait_synced, walk


def count(sql):
    db.session.rollback()  # see what the live server committed
    return db.session.execute(text(sql)).scalar_one()


def report(page, category, description):
    page.goto("/app/#/")
    page.click("#go-report")
    choose_category(page, category)
    page.fill("#incident-description", description)
    page.wait_for_function("() => !/正在获取位置|Getting/.test(document.querySelector('#incident-form').textContent)")
    page.click("#save-incident")
    page.wait_for_selector("#go-report, #sign-in")  # home, or sign-in when the token was refused


def test_a_lost_response_then_a_retry_leaves_one_copy(categories, page):
    sign_in(page)
    wait_synced(page)
    lost = []

    def apply_then_lose(route):
        route.fetch()  # the server receives and applies the batch …
        lost.append(route.request.url)
        route.abort("connectionreset")  # … but the phone never hears back

    page.route("**/api/v1/sync/push", apply_then_lose)
    report(page, "0101", "可疑车辆长期停放")
    for _ in range(100):
        if lost:
            break
        page.wait_for_timeout(100)
    page.wait_for_function("() => !document.querySelector('#sync-now').disabled")
    assert lost and count("SELECT count(*) FROM incident") == 1
    expect_pending(page, 1)  # the phone still holds it

    page.unroute("**/api/v1/sync/push")
    page.click("#sync-now")
    wait_synced(page)
    assert count("SELECT count(*) FROM incident") == 1
    assert count("SELECT count(*) FROM sync_operation") == 1
    expect(page.locator("#my-incidents li")).to_have_count(1)


def test_a_refused_record_waits_in_needs_attention_and_can_be_fixed(categories, page):
    sign_in(page)
    wait_synced(page)
    # The street retires a category after the phone last synced; the worker reports with it anyway.
    db.session.execute(text("UPDATE incident_category SET active = false, updated_at = now() WHERE code = '0102'"))
    db.session.commit()
    report(page, "0102", "路灯损坏")
    page.wait_for_selector("#attention-count")
    assert count("SELECT count(*) FROM incident") == 0
    page.click("#attention-count")
    card = page.locator(".card.rejected[data-op='incident.report']")
    expect(card.locator(".error").first).to_contain_text("0102")
    card.locator(".fix-category").select_option("0103")
    card.locator(".fix-description").fill("路灯损坏，已改类别")
    card.locator(".resend").click()
    page.wait_for_selector("#attention-count", state="detached")  # back in the outbox …
    wait_synced(page)  # … and sent
    assert count("SELECT count(*) FROM incident") == 1
    db.session.rollback()
    row = db.session.execute(
        text("SELECT c.code, i.description FROM incident i JOIN incident_category c ON c.id = i.category_id")
    ).one()
    assert tuple(row) == ("0103", "路灯损坏，已改类别")


def test_a_record_saved_while_a_sync_runs_goes_out_without_another_trigger(categories, page, context):
    sign_in(page)
    wait_synced(page)
    page.click("#start-patrol")
    walk(page, context, WALK[:3])
    page.click("#stop-patrol")  # starts a sync of the patrol …
    report(page, "0101", "巡查结束时发现")  # … while this is saved
    wait_synced(page)
    assert count("SELECT count(*) FROM patrol WHERE ended_at IS NOT NULL") == 1
    assert count("SELECT count(*) FROM incident") == 1
