"""After a deploy the app offers "new version — reload"; the new shell replaces the old cache."""

import re
from pathlib import Path

from playwright.sync_api import expect

from tests.e2e.helpers import sign_in, wait_controlled, wait_synced


def shell_caches(page):
    return page.evaluate("caches.keys().then(keys => keys.filter(k => k.startsWith('gridpatrol-shell-')))")


def test_a_new_version_is_offered_and_replaces_the_old_shell(demo, page, app):
    sign_in(page)
    wait_synced(page)
    wait_controlled(page)
    page.wait_for_function("caches.keys().then(keys => keys.length > 0)")
    [old_cache] = shell_caches(page)
    sw = Path(app.static_folder, "pwa", "dist", "sw.js")
    original = sw.read_text()
    try:
        sw.write_text(re.sub(r'const VERSION = "(\w+)"', r'const VERSION = "\1next"', original))  # a deploy
        page.evaluate("navigator.serviceWorker.getRegistration('/app/').then(r => r.update())")
        page.wait_for_selector("#reload-update")
        with page.expect_navigation():
            page.click("#reload-update")
        page.wait_for_selector("#go-report")
        page.wait_for_function("caches.keys().then(keys => keys.some(k => k.endsWith('next')))")
        page.wait_for_function(
            "caches.keys().then(keys => keys.filter(k => k.startsWith('gridpatrol-shell-')).length === 1)"
        )
        assert shell_caches(page) == [old_cache + "next"]
        expect(page.locator("#reload-update")).to_have_count(0)
    finally:
        sw.write_text(original)
