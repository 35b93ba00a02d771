"""Absolute URLs come from PUBLIC_URL, never from a forged Host header; unknown hosts get 400; OGC caching."""

import pytest

from patrol.config import ConfigError, load_config
from tests.conftest import assert_error_shape

PUBLIC = "https://grid.example.gov.cn"
FORGED = {"Host": "evil.example"}


@pytest.fixture
def public_site(app, monkeypatch):
    """The site as deployed: PUBLIC_URL set, an intranet alias also allowed as Host."""
    monkeypatch.setitem(app.config, "PUBLIC_URL", PUBLIC)
    monkeypatch.setitem(app.config, "ALLOWED_HOSTS", ["grid.example.gov.cn", "intranet.example"])


def _hrefs(body):
    return [link["href"] for link in body["links"]]


def test_a_forged_host_header_is_refused(demo, login, client):
    for url in ("/ogc", "/ogc/collections", "/api/v1/health", "/api/v1/patrols/tracker"):
        body = assert_error_shape(login("demo-worker").get(url, headers=FORGED), 400)
        assert "evil.example" not in str(body)
    assert_error_shape(client.get("/api/v1/health", headers={"Host": "evil.example:8000"}), 400)
    assert client.get("/api/v1/health", headers={"Host": "127.0.0.1:8000"}).status_code == 200


def test_ogc_links_come_from_public_url_not_the_host_header(demo, login, public_site):
    street = login("demo-street")
    headers = {"Host": "intranet.example", "X-Forwarded-Host": "evil.example"}
    for url in ("/ogc", "/ogc/collections", "/ogc/collections/grids", "/ogc/collections/grids/items?limit=1"):
        response = street.get(url, headers=headers)
        assert response.status_code == 200, url
        hrefs = [href for href in _hrefs(response.get_json()) if not href.startswith("http://www.opengis")]
        assert hrefs and all(href.startswith(PUBLIC + "/") for href in hrefs), (url, hrefs)
        assert "intranet.example" not in response.get_data(as_text=True)
    assert_error_shape(street.get("/ogc", headers=FORGED), 400)


def test_tracker_address_comes_from_public_url(demo, login, public_site):
    worker = login("demo-worker")
    issued = worker.post("/api/v1/patrols/tracker", headers={"Host": "intranet.example"}).get_json()
    assert issued["server_url"] == PUBLIC + "/api/v1/osmand"
    assert issued["tracker_url"].startswith(PUBLIC + "/api/v1/osmand?id=")
    info = worker.get("/api/v1/patrols/tracker", headers={"Host": "intranet.example"}).get_json()
    assert info["server_url"] == PUBLIC + "/api/v1/osmand"


def test_ogc_answers_are_private_and_vary_by_caller(demo, login):
    street = login("demo-street")
    for url in ("/ogc", "/ogc/collections/grids/items?limit=1", "/ogc/conformance"):
        response = street.get(url)
        assert response.headers["Cache-Control"] == "private, no-cache", url
        assert "Authorization" in response.headers.get("Vary", ""), url


def test_public_url_and_allowed_hosts_settings():
    base = {"SECRET_KEY": "x" * 40, "AUDIT_KEY": "a" * 40, "PII_KEY": "dGVzdC1vbmx5LXBpaS1rZXktMzItYnl0ZXMtbG9uZyE="}
    config = load_config({**base, "PUBLIC_URL": PUBLIC + "/"})
    assert config["PUBLIC_URL"] == PUBLIC and config["ALLOWED_HOSTS"] == ["grid.example.gov.cn"]
    config = load_config({**base, "PUBLIC_URL": PUBLIC, "ALLOWED_HOSTS": "grid.example.gov.cn, .corp.example"})
    assert config["ALLOWED_HOSTS"] == ["grid.example.gov.cn", ".corp.example"]
    for bad in ("grid.example.gov.cn", "ftp://grid.example.gov.cn", "https://grid.example.gov.cn/?x=1"):
        with pytest.raises(ConfigError, match="PUBLIC_URL"):
            load_config({**base, "PUBLIC_URL": bad})
