"""How Flask serves the built worker app: shell files revalidate, hashed assets are immutable and gzipped."""

import re
from pathlib import Path


def fetch(client, url, **kwargs):
    """(response, body bytes), with the file-backed response closed."""
    response = client.get(url, **kwargs)
    body = response.get_data()
    response.close()
    return response, body


def test_the_shell_and_service_worker_revalidate(app, client):
    index, html = fetch(client, "/app/")
    assert index.status_code == 200 and index.headers["Cache-Control"] == "no-cache"
    assert b'rel="manifest"' in html
    assert "script-src 'self'" in index.headers["Content-Security-Policy"]
    worker, source = fetch(client, "/app/sw.js")
    assert worker.status_code == 200 and worker.headers["Cache-Control"] == "no-cache"
    assert b"gridpatrol-shell-" in source
    assert fetch(client, "/app/patrol")[0].status_code == 200  # client-side routes get the shell


def test_hashed_assets_are_immutable_and_sent_gzipped(app, client):
    html = fetch(client, "/app/")[1].decode()
    script = re.search(r'src="(/app/assets/[^"]+\.js)"', html).group(1)
    plain, plain_body = fetch(client, script)
    zipped, zipped_body = fetch(client, script, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert "max-age=31536000" in plain.headers["Cache-Control"] and "Content-Encoding" not in plain.headers
    assert zipped.headers["Content-Encoding"] == "gzip" and zipped.mimetype == "text/javascript"
    assert len(zipped_body) < len(plain_body) / 2


def test_nothing_outside_the_build_is_served(app, client):
    assert Path(app.static_folder, "pwa", "src", "main.jsx").is_file()
    for path in ("/app/../src/main.jsx", "/app/%2e%2e/src/main.jsx", "/app/../../patrol/config.py", "/app/nope.js"):
        assert fetch(client, path)[0].status_code == 404, path
