"""A live server on a loopback port and Debian's Chromium driven by Playwright, for the worker app."""

import os
import socket
import threading
import time

import pytest
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 360, "height": 640}
# A walk through the demo worker's grid 330106010001001 (lon 120.120–120.123, lat 30.280–30.2858).
WALK = [(120.1206 + 0.0003 * n, 30.2810 + 0.0004 * n) for n in range(8)]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


class LiveServer:
    """The test app on a fixed loopback port; stop() cuts the network for everything, service worker included."""

    def __init__(self, app):
        self.app = app
        self.in_flight = 0
        self.lock = threading.Lock()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = None

    def counting(self, environ, start_response):
        with self.lock:
            self.in_flight += 1
        try:
            body = self.app(environ, start_response)
            try:
                yield from body
            finally:
                if hasattr(body, "close"):
                    body.close()
        finally:
            with self.lock:
                self.in_flight -= 1

    def wait_idle(self, timeout=10.0, quiet=0.5):
        """Let requests still running finish, so emptying the tables after a test does not race them.

        Idle means no request for `quiet` seconds: one the browser sent just before it closed may still
        wait in the socket's backlog, not yet counted."""
        deadline = time.monotonic() + timeout
        calm_since = None
        while time.monotonic() < deadline:
            now = time.monotonic()
            if self.in_flight:
                calm_since = None
            elif calm_since is None:
                calm_since = now
            elif now - calm_since >= quiet:
                return
            time.sleep(0.05)

    def start(self):
        self.server = make_server("127.0.0.1", self.port, self.counting, threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


@pytest.fixture(scope="session")
def live_server(app):
    dist = os.path.join(app.static_folder, "pwa", "dist", "index.html")
    if not os.path.isfile(dist):
        pytest.exit("static/pwa/dist is missing: build the worker app with `make web`", returncode=2)
    server = LiveServer(app)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def server(live_server):
    """The live server, running again after a test that cut it."""
    yield live_server
    if live_server.server is None:
        live_server.start()
    live_server.wait_idle()


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser, server):
    """A phone-sized incognito profile; closed before the server fixture waits for idle."""
    context = browser.new_context(
        base_url=server.url,
        viewport=PHONE,
        device_scale_factor=1,
        is_mobile=True,
        has_touch=True,
        permissions=["geolocation"],
        geolocation={"longitude": WALK[0][0], "latitude": WALK[0][1], "accuracy": 8},
        locale="zh-CN",
        service_workers="allow",
    )
    context.set_default_timeout(15000)
    yield context
    context.close()


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.fixture
def categories(demo):
    """The default incident categories and the demo street's departments."""
    from tests.incidents.helpers import setup_departments

    setup_departments()


@pytest.fixture
def field_day(categories, login):
    """Categories plus one person (masked on the phone) in demo-worker's grid."""
    from tests.people.helpers import GRID_1, person_body

    created = login("demo-community").post("/api/v1/people", json=person_body(1, GRID_1))
    assert created.status_code == 201, created.get_json()
    return created.get_json()
