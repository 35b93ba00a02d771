"""Security headers on every kind of page, HSTS only behind TLS, no tracebacks in error bodies.

Login throttling and token revocation are tested in tests/auth, the audit chain CLI in tests/audit.
"""

import pytest

from tests.conftest import assert_error_shape

URLS = ("/api/v1/health", "/api/v1/auth/me", "/app/", "/review/", "/api/docs", "/api/openapi.json", "/no-such-page")


def _get(client, url, **kw):
    response = client.get(url, **kw)
    response.get_data()
    response.close()
    return response


@pytest.mark.parametrize("url", URLS)
def test_security_headers(client, url):
    response = _get(client, url)
    assert response.status_code < 500
    csp = response.headers["Content-Security-Policy"]
    directives = {d.strip().split(" ", 1)[0]: d.strip() for d in csp.split(";") if d.strip()}
    assert "'unsafe-inline'" not in directives.get("script-src", directives["default-src"])
    assert directives["frame-ancestors"] == "frame-ancestors 'none'"
    assert directives["object-src"] == "object-src 'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in ("same-origin", "no-referrer", "strict-origin-when-cross-origin")
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP: HSTS would be ignored or wrong
    tls = _get(client, url, base_url="https://localhost")
    assert tls.headers["Strict-Transport-Security"].startswith("max-age=")
    assert int(tls.headers["Strict-Transport-Security"].split("=")[1].split(";")[0]) >= 15_552_000


def test_api_answers_are_not_cached_and_errors_carry_no_traceback(client, demo, login):
    worker = login("demo-worker")
    assert worker.get("/api/v1/auth/me").headers["Cache-Control"] == "no-store"
    for response in (
        client.get("/api/v1/auth/me"),
        worker.get("/api/v1/no-such-endpoint"),
        worker.post("/api/v1/incidents", data="{", content_type="application/json"),
        worker.get("/api/v1/incidents/not-a-uuid"),
    ):
        body = assert_error_shape(response, response.status_code)
        assert "Traceback" not in response.get_data(as_text=True) and 'File "' not in body["message"]
