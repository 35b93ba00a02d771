from sqlalchemy import create_engine

from tests.conftest import assert_error_shape


def test_health_tells_anonymous_callers_nothing_but_ok(client):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    worker_token = {"Authorization": "Bearer not-a-real-token"}
    assert client.get("/api/v1/health", headers=worker_token).get_json() == {"status": "ok"}


def test_health_reports_database_and_postgis_to_an_admin(demo, login):
    response = login("demo-admin").get("/api/v1/health")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["database"].startswith("PostgreSQL ")
    assert body["postgis"].startswith("3.")
    assert body["timezone"] == "Asia/Shanghai"
    assert body["time"].endswith("+08:00")


def test_health_answers_503_when_database_unreachable(app):
    from patrol.extensions import db

    good_engine = db.engines[None]
    db.engines[None] = create_engine(
        "postgresql+psycopg://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 1}
    )
    try:
        response = app.test_client().get("/api/v1/health")
    finally:
        db.session.remove()
        db.engines[None] = good_engine
    body = assert_error_shape(response, 503)
    assert response.headers["Retry-After"]
    assert "Traceback" not in body["message"]


def test_unknown_route_and_wrong_method_use_error_shape(client):
    assert_error_shape(client.get("/api/v1/no-such-thing"), 404)
    response = client.delete("/api/v1/health")
    assert_error_shape(response, 405)
    assert "GET" in response.headers["Allow"]


def test_malformed_json_is_400_in_error_shape(client):
    response = client.post("/api/v1/auth/login", data="{not json", content_type="application/json")
    assert_error_shape(response, 400)


def test_deeply_nested_json_is_refused(client):
    body = "[" * 100_000 + "]" * 100_000
    response = client.post("/api/v1/auth/login", data=body, content_type="application/json")
    assert_error_shape(response, 400)


def test_invalid_utf8_is_refused(client):
    response = client.post("/api/v1/auth/login", data=b'{"username": "\xff\xfe"}', content_type="application/json")
    assert_error_shape(response, 400)


def test_oversized_json_body_is_413(client, app):
    limit = app.config["MAX_JSON_BYTES"]
    response = client.post(
        "/api/v1/auth/login", data=b'{"username": "' + b"a" * limit + b'"}', content_type="application/json"
    )
    assert_error_shape(response, 413)


def test_unknown_field_is_422_naming_it(client):
    response = client.post("/api/v1/auth/login", json={"username": "a", "password": "b", "admin": True})
    body = assert_error_shape(response, 422)
    assert "admin" in body["errors"]["json"]


def test_wrong_type_is_422(client):
    response = client.post("/api/v1/auth/login", json={"username": 5, "password": ["x"]})
    body = assert_error_shape(response, 422)
    assert set(body["errors"]["json"]) == {"username", "password"}


def test_security_headers_on_every_response(client):
    for response in (client.get("/api/v1/health"), client.get("/api/v1/nothing")):
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        assert "frame-ancestors 'none'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
    assert client.get("/api/v1/health").headers["Cache-Control"] == "no-store"


def test_hsts_only_behind_tls(client):
    assert "Strict-Transport-Security" not in client.get("/api/v1/health").headers
    secure = client.get("/api/v1/health", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


def test_openapi_document_lists_the_api(client):
    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    for path in ("/api/v1/auth/login", "/api/v1/areas", "/api/v1/areas/import", "/api/v1/health"):
        assert path in spec["paths"], path
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_api_docs_page_uses_only_local_assets(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in html
    assert "http://" not in html and "https://" not in html
    assert "<script>" not in html  # no inline script: the CSP forbids it
    asset = client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js")
    asset.close()
    assert asset.status_code == 200
