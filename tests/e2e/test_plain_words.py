"""Every screen of the worker app speaks plain Chinese: no JSON, no codes, no English, no "中文 / English"."""

import re

from playwright.sync_api import expect

from tests.e2e.helpers import sign_in, wait_synced

SCREENS = ("#/", "#/map", "#/patrol", "#/report", "#/visit", "#/settings", "#/outbox", "#/attention")
# Names that are the same in every language: the tracker app, the map library, the other language's own
# name on its button, units and file formats.
ALLOWED = {"OsmAnd", "Leaflet", "English", "GPS", "QR", "XLSX", "KB", "MB"}


def _foreign_words(text):
    # Whole words only: a version hash such as 47cbf1a9 is not English.
    words = set(re.findall(r"(?<![0-9A-Za-z_])[A-Za-z][A-Za-z_]{2,}(?![0-9A-Za-z_])", text))
    return sorted(w for w in words if w not in ALLOWED)


def test_no_screen_shows_json_codes_or_english(field_day, page):
    sign_in(page)
    wait_synced(page)
    for screen in SCREENS:
        page.goto(f"/app/{screen}")
        page.wait_for_selector("nav.tabs")
        page.wait_for_timeout(300)
        shown = page.locator("main").inner_text() + page.locator("header.status").inner_text()
        # An address, a login name and the version hash are data, not words.
        shown = re.sub(r"https?://\S+|\b[0-9a-f]{8,}\b", "", shown).replace("demo-worker", "")
        assert "{" not in shown and " / " not in shown, (screen, shown)
        assert _foreign_words(shown) == [], (screen, _foreign_words(shown))


def test_large_text_stays_one_column_at_390_px(field_day, page):
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page)
    wait_synced(page)
    page.click("#nav-settings")
    page.click("#text-large")
    expect(page.locator("html")).to_have_class(re.compile("large-text"))
    page.reload()
    expect(page.locator("html")).to_have_class(re.compile("large-text"))  # kept on the phone
    for screen in SCREENS:
        page.goto(f"/app/{screen}")
        page.wait_for_selector("nav.tabs")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, screen
    page.goto("/app/#/report")
    page.click("[data-group='02']")  # a long form: the save button stays in view above the tabs
    save, tabs = page.locator("#save-incident").bounding_box(), page.locator("nav.tabs").bounding_box()
    assert save["y"] + save["height"] <= tabs["y"], (save, tabs)
    page.goto("/app/#/map")
    expect(page.locator("#map-legend li")).to_have_count(5)
    expect(page.locator("#map-legend")).to_contain_text("我的网格")
