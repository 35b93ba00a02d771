"""Worker app budget: JS+CSS gzipped, cold first load on slow 4G, warm start offline (headless Chromium).

Runs the app from the environment's database (make bench seeds the demo) on a loopback port.
Budget: ≤ 250 KB gzipped, cold load < 3 s at ~1.6 Mbps / 150 ms, warm offline start < 1 s.
"""

import gzip
import os
import socket
import statistics
import threading
from pathlib import Path

from werkzeug.serving import make_server

DIST = Path(__file__).resolve().parent.parent / "static" / "pwa" / "dist"
CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SLOW_4G = {"offline": False, "latency": 150, "downloadThroughput": 1_600_000 / 8, "uploadThroughput": 750_000 / 8}
BUDGET_KB, COLD_S, WARM_S = 250, 3.0, 1.0


def bundle_sizes():
    """(raw, gzipped) bytes of the JS and CSS the worker app loads."""
    files = [p for p in (DIST / "assets").iterdir() if p.suffix in (".js", ".css")]
    raw = sum(p.stat().st_size for p in files)
    zipped = sum(len(gzip.compress(p.read_bytes(), compresslevel=9)) for p in files)
    return raw, zipped


def serve():
    from patrol import create_app

    app = create_app()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{port}"


def cold_load(browser, url):
    """Seconds from navigation to the sign-in form, fresh profile, slow 4G."""
    context = browser.new_context(viewport={"width": 360, "height": 640}, is_mobile=True)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send("Network.emulateNetworkConditions", SLOW_4G)
    page.goto(f"{url}/app/", wait_until="commit")
    page.wait_for_selector("#username", timeout=30000)
    seconds = page.evaluate("performance.now()") / 1000
    context.close()
    return seconds


def warm_offline_starts(browser, url, runs=5):
    """Seconds from navigation to the home screen with the network cut, after one signed-in visit."""
    password = os.environ.get("DEMO_PASSWORD", "gridpatrol-demo")
    context = browser.new_context(viewport={"width": 360, "height": 640}, is_mobile=True, service_workers="allow")
    page = context.new_page()
    page.goto(f"{url}/app/")
    page.fill("#username", "demo-worker")
    page.fill("#password", password)
    page.click("#sign-in")
    page.wait_for_selector("#go-report")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=30000)
    page.wait_for_function("() => document.querySelector('#pending-count')?.dataset.count === '0'")
    page.close()
    context.set_offline(True)
    times = []
    for _ in range(runs):
        start = context.new_page()
        start.goto(f"{url}/app/", wait_until="commit")
        start.wait_for_selector("#go-report")
        times.append(start.evaluate("performance.now()") / 1000)
        start.close()
    context.close()
    return times


def main():
    from playwright.sync_api import sync_playwright

    if not (DIST / "index.html").is_file():
        print("static/pwa/dist is missing: run make web")
        return
    raw, zipped = bundle_sizes()
    print(f"JS+CSS: {raw / 1024:.1f} KB raw, {zipped / 1024:.1f} KB gzipped (budget {BUDGET_KB} KB)")
    server, url = serve()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
            cold = [cold_load(browser, url) for _ in range(3)]
            print(
                f"cold first load, slow 4G (1.6 Mbps, 150 ms): median {statistics.median(cold):.2f} s "
                f"(runs {', '.join(f'{c:.2f}' for c in cold)}; budget {COLD_S} s)"
            )
            warm = warm_offline_starts(browser, url)
            print(
                f"warm start offline: median {statistics.median(warm):.3f} s "
                f"(runs {', '.join(f'{w:.3f}' for w in warm)}; budget {WARM_S} s)"
            )
            browser.close()
    finally:
        server.shutdown()
    verdict = zipped / 1024 <= BUDGET_KB and statistics.median(cold) < COLD_S and statistics.median(warm) < WARM_S
    print("within budget" if verdict else "OVER BUDGET")


if __name__ == "__main__":
    main()
