"""A configured base map shows under the grids, and the worker can keep it on the phone for offline patrols."""

import io
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.e2e.helpers import sign_in, wait_controlled, wait_synced


def _png():
    buffer = io.BytesIO()
    Image.new("RGB", (256, 256), (230, 240, 230)).save(buffer, "PNG")
    return buffer.getvalue()


class TileServer:
    """A tile server on loopback (as an intranet tile server would be), counting what it serves."""

    def __init__(self):
        tile, served = _png(), []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (the http.server API)
                served.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(tile)))
                self.end_headers()
                self.wfile.write(tile)

            def log_message(self, *args):
                pass

        self.served = served
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def tiles(app, monkeypatch):
    server = TileServer()
    monkeypatch.setitem(app.config, "BASEMAP_URL", server.url + "/{z}/{x}/{y}.png")
    monkeypatch.setitem(app.config, "BASEMAP_ATTRIBUTION", "测试底图")
    yield server
    server.stop()


def test_the_base_map_shows_and_stays_on_the_phone_when_offline(demo, tiles, page, context):
    sign_in(page)
    wait_synced(page)
    wait_controlled(page)
    page.click("#nav-map")
    expect(page.locator(".leaflet-tile-loaded").first).to_be_visible()
    expect(page.locator(".leaflet-control-attribution")).to_contain_text("测试底图")

    page.click("#nav-settings")
    page.click("#save-offline-map")
    result = page.locator("#offline-map-result")
    expect(result).to_be_visible(timeout=30000)
    kept = int(result.get_attribute("data-kept"))
    assert kept > 10, kept  # the grid's tiles from zoom 14 up

    tiles.stop()  # no signal: the tile server is out of reach
    served = len(tiles.served)
    fresh = context.new_page()
    fresh.goto("/app/#/map")
    expect(fresh.locator(".leaflet-tile-loaded").first).to_be_visible()
    assert len(tiles.served) == served  # shown from the phone, not fetched
