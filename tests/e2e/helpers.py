"""Steps the worker takes in the app, and counting their taps."""

from playwright.sync_api import expect

from tests.conftest import DEMO_PASSWORD


class Taps:
    """Clicks performed on a page, counted so tests can hold the app to its few-taps promise."""

    def __init__(self, page):
        self.page = page
        self.count = 0

    def tap(self, selector):
        self.page.locator(selector).first.click()
        self.count += 1


def sign_in(page, username="demo-worker", password=DEMO_PASSWORD):
    page.goto("/app/")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#sign-in")
    page.wait_for_selector("#pending-count")


def wait_synced(page, timeout=20000):
    """The outbox is empty and a sync finished."""
    page.wait_for_function(
        "() => document.querySelector('#pending-count')?.dataset.count === '0'"
        " && !document.querySelector('#sync-now')?.disabled"
        " && !/从未|Never/.test(document.querySelector('#last-sync')?.textContent || '')",
        timeout=timeout,
    )


def wait_controlled(page):
    page.wait_for_function("() => navigator.serviceWorker && navigator.serviceWorker.controller !== null")


def pending(page):
    return int(page.locator("#pending-count").get_attribute("data-count"))


def expect_pending(page, n, timeout=10000):
    """The outbox count shown on the phone becomes n (it is rendered after the record is stored)."""
    expect(page.locator("#pending-count")).to_have_attribute("data-count", str(n), timeout=timeout)


def go_offline(server, context):
    context.set_offline(True)
    server.stop()


def go_online(server, context):
    server.start()
    context.set_offline(False)


def jpeg(width=2400, height=1800):
    """A camera-sized JPEG, so the phone has something to shrink."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (90, 140, 200)).save(out, "JPEG", quality=85)
    return out.getvalue()


def local_fixes(page):
    """How many GPS fixes the phone holds in IndexedDB."""
    return page.evaluate(
        """() => new Promise((resolve, reject) => {
            const open = indexedDB.open("gridpatrol");
            open.onerror = reject;
            open.onsuccess = () => {
                const query = open.result.transaction("fixes").objectStore("fixes").getAll();
                query.onsuccess = () => resolve(query.result.length);
            };
        })"""
    )


def choose_category(page, code, tap=None):
    """Pick a category in the incident form: one tap when recent, else its group then itself."""
    tap = tap or page.click
    page.wait_for_selector("#category-groups")
    if page.locator(f"#categories [data-category='{code}']").count() == 0:
        tap(f"[data-group='{code[:2]}']")
    tap(f"#categories [data-category='{code}']")


def outbox_operations(page):
    """How many operations wait in the phone's outbox (a patrol is several: start, fixes, finish)."""
    return page.evaluate(
        """() => new Promise((resolve, reject) => {
            const open = indexedDB.open("gridpatrol");
            open.onerror = reject;
            open.onsuccess = () => {
                const query = open.result.transaction("outbox").objectStore("outbox").getAll();
                query.onsuccess = () => resolve(query.result.filter((item) => item.status === "pending").length);
            };
        })"""
    )


def walk(page, context, path, pause_ms=300):
    for lon, lat in path:
        context.set_geolocation({"longitude": lon, "latitude": lat, "accuracy": 6})
        page.wait_for_timeout(pause_ms)
