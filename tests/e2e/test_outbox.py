"""The phone says truthfully what waits to be sent, what was sent, and whether it is online."""

from playwright.sync_api import expect

from tests.e2e.conftest import WALK
from tests.e2e.helpers import expect_pending, go_offline, go_online, sign_in, wait_synced, walk
from tests.e2e.test_sync_failures import report


def test_records_waiting_are_counted_and_listed_per_record(categories, page, context, server):
    sign_in(page)
    wait_synced(page)
    go_offline(server, context)
    try:
        report(page, "0101", "楼道有人逗留")
        expect(page.locator(".toast")).to_contain_text("联网后自动发送")  # not "sent": it was not
        page.click("#start-patrol")
        page.wait_for_selector("#stop-patrol")
        walk(page, context, WALK[:4])
        page.click("#stop-patrol")
        expect_pending(page, 2)  # a patrol (start, fixes, finish) and an incident: two records
        page.click("#pending-count")
        rows = page.locator("#outbox-list li")
        expect(rows).to_have_count(2)
        expect(page.locator("#outbox-list li[data-kind=patrol]")).to_contain_text("巡查轨迹")
        expect(page.locator("#outbox-list li[data-kind=incident]")).to_contain_text("楼道有人逗留")
        page.click("#sync-now")
        expect(page.locator(".toast")).to_contain_text("无网络")
    finally:
        go_online(server, context)
    page.click("#outbox-sync")
    wait_synced(page)
    expect(page.locator("#outbox-list li")).to_have_count(0)


def test_a_record_sent_at_once_is_reported_as_sent(categories, page):
    sign_in(page)
    wait_synced(page)
    report(page, "0101", "路边堆放杂物")
    expect(page.locator(".toast")).to_contain_text("已发送到服务器")


def test_the_header_comes_back_online_by_itself_when_the_server_answers_again(categories, page, server):
    sign_in(page)
    wait_synced(page)
    server.stop()  # the phone keeps its network; only the server is unreachable
    try:
        page.click("#sync-now")
        expect(page.locator(".status .dot.off")).to_have_count(1)
    finally:
        server.start()
    expect(page.locator(".status .dot.on")).to_have_count(1, timeout=40000)
