"""The phone tells the truth about a patrol: the targets at the start, the verdict at the stop.

Offline the phone judges the patrol by the server's rules and says the verdict is provisional; once
synced it shows the server's own verdict, on the patrol screen and on home.
"""

from playwright.sync_api import expect

from tests.e2e.conftest import WALK
from tests.e2e.helpers import go_offline, go_online, sign_in, wait_controlled, wait_synced, walk


def test_a_short_patrol_is_not_counted_provisionally_then_by_the_server(demo, page, context, server):
    sign_in(page)
    wait_synced(page)
    wait_controlled(page)
    go_offline(server, context)
    try:
        page.click("#start-patrol")
        page.wait_for_selector("#stop-patrol")
        expect(page.locator("#patrol-targets")).to_contain_text("至少 20 分钟")
        walk(page, context, WALK)
        page.click("#stop-patrol")
        result = page.locator("#patrol-result")
        expect(result).to_have_attribute("data-confirmed", "no")
        expect(result).to_contain_text("未计入")
        expect(result).to_contain_text("时长不足")
        expect(result).to_contain_text("待同步确认")
        page.goto("/app/#/")
        expect(page.locator(".chip[data-status=provisional]")).to_have_count(1)
        expect(page.locator(".chip[data-status=counted]")).to_have_count(0)
    finally:
        go_online(server, context)
    page.click("#sync-now")
    wait_synced(page)
    chip = page.locator(".chip[data-status=notCounted]")
    expect(chip).to_have_count(1)
    expect(chip).to_contain_text("未计入")
    expect(page.locator("p.reasons").first).to_contain_text("时长不足")
    page.click("#nav-patrol")
    expect(page.locator("#patrol-result")).to_have_attribute("data-confirmed", "yes")
    expect(page.locator("#patrol-result")).not_to_contain_text("待同步确认")
