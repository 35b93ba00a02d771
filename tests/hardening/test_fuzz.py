"""Property-based fuzzing of the whole API from its OpenAPI document (schemathesis, bounded)."""

import json
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from patrol import create_app

ERROR_KEYS = {"code", "status", "message", "errors"}


# A second app instance on the same test database: schemathesis needs the schema at import time.
fuzz_app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": os.environ.get("TEST_DATABASE_URL", "")})
# The review page's static files are left out: schemathesis' WSGI transport never closes the file a
# send_file response holds (a ResourceWarning, an error here); the access matrix and the security
# header tests request those pages and close the responses.
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", fuzz_app).exclude(tag="review_page")
# As a worker: the phone's writes, where a worker's own input arrives.
worker_schema = schema.include(
    method=["POST", "PUT", "PATCH", "DELETE"], tag=["patrols", "incidents", "visits", "sync", "photos", "tasks"]
)


@pytest.fixture(scope="module", autouse=True)
def _close_fuzz_app_connections():
    yield
    from patrol.extensions import db

    with fuzz_app.app_context():
        db.engines[None].dispose()  # a pooled connection collected after the run is an unraisable warning


def _check(case, headers):
    response = case.call(headers=headers)
    assert response.status_code < 500, (case.method, case.formatted_path, response.text[:300])
    if response.status_code >= 400 and response.headers.get("Content-Type", "").startswith("application/json"):
        body = json.loads(response.text)
        assert set(body) == ERROR_KEYS, (case.method, case.formatted_path, body)


@pytest.fixture
def admin_headers(demo, login):
    return login("demo-admin").headers


@schema.parametrize()
@settings(max_examples=8, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_no_server_error_and_one_error_shape(case, admin_headers):
    _check(case, admin_headers)


@pytest.fixture
def worker_headers(demo, login):
    return login("demo-worker").headers


@worker_schema.parametrize()
@settings(max_examples=6, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_no_server_error_as_a_worker(case, worker_headers):
    _check(case, worker_headers)
