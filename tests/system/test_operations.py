"""Readiness, request ids and JSON logs, Prometheus metrics and their protection, replica fallback."""

import json
import logging

import pytest
from sqlalchemy import create_engine, text

from patrol.config import ConfigError, load_config
from patrol.system import logs, service
from tests.conftest import assert_error_shape

PII_KEY = "dGVzdC1vbmx5LXBpaS1rZXktMzItYnl0ZXMtbG9uZyE="  # any 32-byte key; PII_KEY is required at start


def test_ready_when_database_and_migrations_are_current(client, demo, login):
    response = client.get("/api/v1/ready")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready"}, "no migration heads for anonymous callers"
    assert login("demo-worker").get("/api/v1/ready").get_json() == {"status": "ready"}
    body = login("demo-admin").get("/api/v1/ready").get_json()
    assert body["status"] == "ready"
    assert set(body["migrations"]) == service.migration_heads(service._migrations_directory())


def test_not_ready_when_migrations_are_behind(app, client, monkeypatch):
    monkeypatch.setattr(service, "migration_heads", lambda directory: frozenset({"0001_foundation", "9999_newer"}))
    anonymous = assert_error_shape(client.get("/api/v1/ready"), 503)
    assert anonymous["errors"] == {} and "0001" not in str(anonymous)
    monkeypatch.setitem(app.config, "METRICS_TOKEN", "metrics-token-for-the-monitoring")
    headers = {"Authorization": "Bearer metrics-token-for-the-monitoring"}
    body = assert_error_shape(client.get("/api/v1/ready", headers=headers), 503)
    assert "9999_newer" in body["errors"]["migrations"]["code"]


def test_not_ready_when_database_unreachable(app):
    from patrol.extensions import db

    good_engine = db.engines[None]
    db.engines[None] = create_engine(
        "postgresql+psycopg://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 1}
    )
    try:
        response = app.test_client().get("/api/v1/ready")
    finally:
        db.session.remove()
        db.engines[None].dispose()
        db.engines[None] = good_engine
    assert_error_shape(response, 503)


def test_incoming_request_id_is_kept_and_returned(client):
    response = client.get("/api/v1/health", headers={"X-Request-ID": "edge-42.abc"})
    assert response.headers["X-Request-ID"] == "edge-42.abc"


def test_missing_or_unsafe_request_id_is_replaced(client):
    generated = client.get("/api/v1/health").headers["X-Request-ID"]
    assert len(generated) == 32
    unsafe = client.get("/api/v1/health", headers={"X-Request-ID": 'x" {inject} <b>'}).headers["X-Request-ID"]
    assert unsafe != 'x" {inject} <b>' and len(unsafe) == 32
    assert client.get("/api/v1/nothing-here").headers["X-Request-ID"]


def test_every_log_line_of_a_request_carries_its_id_as_json(client, caplog, monkeypatch):
    monkeypatch.setattr(service, "migration_heads", lambda directory: frozenset({"9999_newer"}))
    caplog.set_level(logging.INFO)
    client.get("/api/v1/ready", headers={"X-Request-ID": "req-7"})
    formatter = logs.JsonFormatter()
    lines = [json.loads(formatter.format(record)) for record in caplog.records]
    warning = next(line for line in lines if line["logger"] == "patrol.system.service")
    access = next(line for line in lines if line["logger"] == "patrol.request")
    assert warning["request_id"] == access["request_id"] == "req-7"
    assert warning["level"] == "WARNING" and "9999_newer" in warning["message"]
    assert access["endpoint"] == "/api/v1/ready" and access["status"] == 503
    assert access["duration_ms"] >= 0 and access["method"] == "GET"


def test_text_log_format_is_available():
    record = logging.LogRecord("patrol.x", logging.INFO, __file__, 1, "hello %s", ("world",), None)
    assert "[-] hello world" in logs.TextFormatter().format(record)


def test_metrics_count_requests_by_url_rule_not_raw_path(client, demo, login):
    street = login("demo-street")
    grid_id = demo["grids"][0].id
    street.get(f"/api/v1/areas/{grid_id}")
    street.get("/api/v1/areas/999999")
    body = client.get("/metrics").get_data(as_text=True)
    assert 'endpoint="/api/v1/areas/<int:area_id>",method="GET",status="200"' in body
    assert 'endpoint="/api/v1/areas/<int:area_id>",method="GET",status="404"' in body
    assert f"/api/v1/areas/{grid_id}" not in body
    assert "gridpatrol_http_request_duration_seconds_bucket" in body
    assert 'gridpatrol_db_pool_connections{database="primary",state="size"}' in body
    assert "gridpatrol_ingested_points_total" in body or "# HELP gridpatrol_ingested_points" in body
    assert "gridpatrol_sync_operations" in body


def test_metrics_refused_to_the_public_in_the_error_shape(client):
    response = client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert_error_shape(response, 403)
    assert "gridpatrol_http" not in response.get_data(as_text=True)


def test_metrics_allowed_for_a_configured_network_or_the_token(app):
    app.config.update(METRICS_ALLOW=["10.8.0.0/16"], METRICS_TOKEN="s3cret-token-for-prometheus")
    try:
        client = app.test_client()
        assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.8.3.4"}).status_code == 200
        assert client.get("/metrics").status_code == 403  # loopback no longer listed
        outsider = {"REMOTE_ADDR": "203.0.113.9"}
        good = {"Authorization": "Bearer s3cret-token-for-prometheus"}
        assert client.get("/metrics", environ_base=outsider, headers=good).status_code == 200
        bad = {"Authorization": "Bearer wrong"}
        assert_error_shape(client.get("/metrics", environ_base=outsider, headers=bad), 403)
    finally:
        app.config.update(METRICS_ALLOW=["127.0.0.0/8", "::1/128"], METRICS_TOKEN="")


def test_operations_settings_are_validated():
    base = {"SECRET_KEY": "x" * 40, "PII_KEY": PII_KEY, "AUDIT_KEY": "a" * 40}
    config = load_config({**base, "METRICS_ALLOW": "10.0.0.0/8, 192.168.1.7", "LOG_FORMAT": "text"})
    assert config["METRICS_ALLOW"] == ["10.0.0.0/8", "192.168.1.7/32"]
    assert config["LOG_FORMAT"] == "text"
    with pytest.raises(ConfigError, match="METRICS_ALLOW"):
        load_config({**base, "METRICS_ALLOW": "10.0.0.0/33"})
    with pytest.raises(ConfigError, match="LOG_FORMAT"):
        load_config({**base, "LOG_FORMAT": "xml"})
    with pytest.raises(ConfigError, match="REPLICA_MAX_LAG_SECONDS"):
        load_config({**base, "REPLICA_MAX_LAG_SECONDS": "soon"})


def test_pgbouncer_mode_disables_prepared_statements_and_still_works(app):
    secrets = {"SECRET_KEY": "x" * 40, "PII_KEY": PII_KEY, "AUDIT_KEY": "a" * 40}
    options = load_config({**secrets, "DB_PGBOUNCER": "true"})["SQLALCHEMY_ENGINE_OPTIONS"]
    assert options["connect_args"]["prepare_threshold"] is None
    assert "prepare_threshold" not in load_config(secrets)["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], connect_args=options["connect_args"])
    try:
        with engine.connect() as connection:
            for n in range(8):  # psycopg would prepare from the 5th execution by default
                assert connection.execute(text("SELECT :n + 1"), {"n": n}).scalar() == n + 1
            prepared = connection.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar()
    finally:
        engine.dispose()
    assert prepared == 0


def test_unreachable_replica_falls_back_to_the_primary(app, demo, login):
    from patrol import replica

    street = login("demo-street")
    app.config["DATABASE_REPLICA_URL"] = "postgresql://nobody@127.0.0.1:1/none"
    app.extensions.pop("gridpatrol_replica", None)
    try:
        response = street.get("/api/v1/areas?level=community")
        assert response.status_code == 200
        assert len(response.get_json()["features"]) == 3
        assert "gridpatrol_db_replica_usable 0.0" in street.get("/metrics").get_data(as_text=True)
    finally:
        replica.configured_engine(app).dispose()
        app.config["DATABASE_REPLICA_URL"] = ""
        app.extensions.pop("gridpatrol_replica", None)


def test_invented_methods_add_no_metric_label_values(client):
    invented = [f"FOO{n}X" for n in range(12)]
    for method in invented:
        client.open("/api/v1/health", method=method)
        client.open(f"/api/v1/nothing-{method}", method=method)
    body = client.get("/metrics").get_data(as_text=True)
    assert not any(method in body for method in invented)
    assert 'method="other"' in body
    assert "/api/v1/nothing-" not in body
