"""A refused patrol is one card in words (no JSON, no ids to edit), and goes through once fixed."""

import time

from playwright.sync_api import expect
from sqlalchemy import text

from patrol.extensions import db
from tests.e2e.conftest import WALK
from tests.e2e.helpers import go_offline, go_online, sign_in, wait_controlled, wait_synced, walk


def count(sql):
    db.session.rollback()
    return db.session.execute(text(sql)).scalar_one()


def _move_assignments(days):
    db.session.execute(
        text(
            "UPDATE grid_assignment SET start_date = start_date + make_interval(days => :days) "
            "WHERE user_id = (SELECT id FROM app_user WHERE username = 'demo-worker')"
        ),
        {"days": days},
    )
    db.session.commit()


def test_a_refused_patrol_is_one_card_in_words_and_is_sent_once_fixed(demo, page, context, server):
    sign_in(page)
    wait_synced(page)
    wait_controlled(page)
    go_offline(server, context)
    try:
        page.click("#start-patrol")
        page.wait_for_selector("#stop-patrol")
        walk(page, context, WALK[:4])
        page.click("#stop-patrol")
        _move_assignments(3650)  # meanwhile the grid is no longer the worker's today
    finally:
        go_online(server, context)
    try:
        page.wait_for_selector("#attention-count")
        page.click("#attention-count")
        cards = page.locator(".card.rejected")
        expect(cards).to_have_count(1)
        card = cards.first
        expect(card).to_have_attribute("data-kind", "patrol")
        expect(card).to_contain_text("巡查轨迹")
        assert "{" not in card.inner_text() and "grid_id" not in card.inner_text()
        assert card.locator("textarea").count() == 0
        assert count("SELECT count(*) FROM patrol") == 0
    finally:
        _move_assignments(-3650)  # the street gives the grid back
    card.locator(".resend").click()
    expect(page.locator(".card.rejected")).to_have_count(0)
    deadline = time.monotonic() + 20
    while count("SELECT count(*) FROM patrol WHERE ended_at IS NOT NULL") == 0 and time.monotonic() < deadline:
        page.wait_for_timeout(200)  # the resend is pushed by the next drain
    assert count("SELECT count(*) FROM patrol WHERE ended_at IS NOT NULL") == 1
    wait_synced(page)
    expect(page.locator("#attention-count")).to_have_count(0)
