"""While walking, the phone shows the figures the server will count: a GPS spike adds no distance."""

import re

from playwright.sync_api import expect

from tests.e2e.conftest import WALK
from tests.e2e.helpers import sign_in, wait_synced, walk


def _metres(page):
    return int(re.search(r"(\d+)\s*m", page.locator("#patrol-distance").inner_text()).group(1))


def test_a_spike_adds_no_distance_and_is_drawn_as_filtered(demo, page, context):
    sign_in(page)
    wait_synced(page)
    page.click("#start-patrol")
    page.wait_for_selector("#stop-patrol")
    lon, lat = WALK[0]
    steps = [(lon, lat + 0.00001 * n) for n in range(12)]  # about 1.1 m every 0.3 s: a walking pace
    walk(page, context, steps)
    expect(page.locator("#patrol-distance")).not_to_have_text("0 m")
    before = _metres(page)
    assert 3 <= before <= 30, before
    end_lon, end_lat = steps[-1]
    spike = [(end_lon + 0.005, end_lat)]  # one fix 480 m away, then back on the path
    after_steps = [(end_lon, end_lat + 0.00001 * n) for n in range(1, 6)]
    walk(page, context, spike + after_steps)
    expect(page.locator("#patrol-filtered")).to_be_visible()  # drawn grey, said in words
    after = _metres(page)
    assert before <= after <= before + 15, (before, after)  # the 2 × 480 m jump is not walked distance
