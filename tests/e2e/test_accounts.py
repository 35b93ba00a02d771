"""Sign-in on the phone: an expired token keeps the outbox; one user's records never go under another's token."""

from playwright.sync_api import expect
from sqlalchemy import text

from patrol.extensions import db
from tests.e2e.helpers import expect_pending, go_offline, go_online, sign_in, wait_synced
from tests.e2e.test_sync_failures import report


def reporters():
    db.session.rollback()  # see what the live server committed
    return (
        db.session.execute(text("SELECT u.username FROM incident i JOIN app_user u ON u.id = i.reporter_id ORDER BY 1"))
        .scalars()
        .all()
    )


def test_an_expired_sign_in_asks_again_and_keeps_the_outbox(categories, page):
    sign_in(page)
    wait_synced(page)
    db.session.execute(text("DELETE FROM auth_token"))  # the token expires (or is revoked) on the server
    db.session.commit()
    report(page, "0101", "无主车辆")
    page.wait_for_selector("#sign-in")
    expect(page.locator(".login .notice")).to_have_count(1)
    assert reporters() == []
    page.fill("#password", "demo-password-for-tests")
    page.click("#sign-in")
    wait_synced(page)
    assert reporters() == ["demo-worker"]


def test_records_are_sent_only_under_their_own_users_token(categories, page, context, server):
    sign_in(page)
    wait_synced(page)
    go_offline(server, context)
    try:
        report(page, "0101", "楼道有人逗留")
        expect_pending(page, 1)
        page.click("#nav-settings")
        page.click("#sign-out")
        page.wait_for_selector("#sign-in")
    finally:
        go_online(server, context)
    sign_in(page, "demo-worker2")
    wait_synced(page)
    assert reporters() == []
    expect_pending(page, 0)
    expect(page.locator(".notice")).to_have_count(1)  # "records of another user wait here"

    page.click("#nav-settings")
    page.click("#sign-out")
    sign_in(page, "demo-worker")
    wait_synced(page)
    assert reporters() == ["demo-worker"]
