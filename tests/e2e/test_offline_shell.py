"""The worker app installs, and after one visit starts and reloads with the network cut."""

import json
import struct

from playwright.sync_api import expect

from tests.e2e.helpers import go_offline, go_online, sign_in, wait_controlled, wait_synced


def png_size(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_manifest_and_service_worker_make_it_installable(demo, page):
    sign_in(page)
    wait_controlled(page)
    manifest = page.request.get("/app/manifest.webmanifest")
    assert manifest.ok and manifest.headers["content-type"].startswith("application/manifest+json")
    body = json.loads(manifest.text())
    assert body["display"] == "standalone" and body["start_url"] == "/app/" and body["short_name"]
    sizes = {icon["sizes"]: icon["src"] for icon in body["icons"] if icon["purpose"] == "any"}
    assert {"192x192", "512x512"} <= set(sizes)
    for size, src in sizes.items():
        width, height = png_size(page.request.get(src).body())
        assert f"{width}x{height}" == size
    scope = page.evaluate("navigator.serviceWorker.getRegistration('/app/').then(r => r && r.scope)")
    assert scope.endswith("/app/")
    cdp = page.context.new_cdp_session(page)
    errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    # Playwright's browser contexts are incognito profiles; that is the only objection allowed.
    assert [error["errorId"] for error in errors if error["errorId"] != "in-incognito"] == []


def test_the_app_starts_and_reloads_with_the_network_cut(demo, page, context, server):
    sign_in(page)
    wait_synced(page)
    wait_controlled(page)
    page.wait_for_selector("[data-grid='330106010001001']")
    go_offline(server, context)
    try:
        page.reload()
        page.wait_for_selector("[data-grid='330106010001001']")
        page.wait_for_selector(".dot.off, #pending-count")
        cold = context.new_page()
        cold.goto("/app/#/map")
        cold.wait_for_selector(".leaflet-container path.leaflet-interactive")
        cold.goto("/app/#/settings")
        cold.wait_for_selector("#device-key")
        cold.close()
    finally:
        go_online(server, context)


def test_the_shell_is_phone_sized_bilingual_and_self_contained(demo, page, server):
    outside, csp = [], []
    page.on("request", lambda request: None if request.url.startswith(server.url) else outside.append(request.url))
    page.on("console", lambda message: "Content Security Policy" in message.text and csp.append(message.text))
    sign_in(page)
    wait_synced(page)
    for route in ("#/", "#/report", "#/patrol", "#/settings"):
        page.goto(f"/app/{route}")
        page.wait_for_selector("nav.tabs")
        page.wait_for_timeout(300)
        targets = page.locator("main button:visible, main a:visible, nav a, #sync-now, main label.toggle")
        heights = [box["height"] for box in (t.bounding_box() for t in targets.all()) if box]
        assert heights and min(heights) >= 44, (route, heights)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, route
    expect(page.locator("#nav-home")).to_have_text("首页")  # zh-CN by default
    page.goto("/app/#/settings")
    page.click("#lang-en")
    # The choice is stored on the phone before the screen re-renders: wait for it, do not race it.
    expect(page.locator("#nav-home")).to_have_text("Home")
    page.reload()
    expect(page.locator("#nav-home")).to_have_text("Home")
    assert outside == [] and csp == []
