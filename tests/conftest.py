"""Fixtures: a real PostGIS database migrated once per run, emptied after every test."""

import os
import time

import pytest
from flask_migrate import upgrade
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from patrol import create_app, messages
from patrol.audit.anchor import remove_anchor
from patrol.extensions import db

KEEP_TABLES = {"spatial_ref_sys", "alembic_version"}
UNLOCK_AUDIT = "GRANT TRUNCATE ON audit_entry TO CURRENT_USER; ALTER TABLE audit_entry DISABLE TRIGGER USER"
LOCK_AUDIT = (
    "ALTER TABLE audit_entry ENABLE TRIGGER USER; REVOKE UPDATE, DELETE, TRUNCATE ON audit_entry FROM CURRENT_USER"
)
DEMO_PASSWORD = "demo-password-for-tests"


def _database_url():
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.exit("TEST_DATABASE_URL is not set: run the suite with `make test`", returncode=2)
    return url


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": _database_url(),
            "PHOTO_DIR": str(tmp_path_factory.mktemp("photos")),
            "AUDIT_ANCHOR_DIR": str(tmp_path_factory.mktemp("audit")),
        }
    )
    with app.app_context():
        upgrade(revision="head")
    yield app
    with app.app_context():
        db.engines[None].dispose()  # close pooled connections before the app is garbage-collected


@pytest.fixture(autouse=True)
def _clean_database(app):
    with app.app_context():
        yield
        db.session.rollback()
        db.session.remove()
        tables = (
            db.session.execute(
                text(
                    "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public'"
                    " AND NOT tablename = ANY(:keep) AND tablename NOT IN (SELECT relname FROM pg_class c"
                    " JOIN pg_inherits i ON i.inhrelid = c.oid)"
                ),
                {"keep": list(KEEP_TABLES)},
            )
            .scalars()
            .all()
        )
        if tables:
            _truncate(tables)
        remove_anchor(app.config["AUDIT_ANCHOR_DIR"])


def _truncate(tables, attempts=5):
    """Empty the tables; a request a live server still finishes may deadlock with it once: try again."""
    for attempt in range(attempts):
        try:
            # The audit log refuses TRUNCATE (trigger, privilege revoked); as its owner the tests lift both here.
            db.session.execute(text(UNLOCK_AUDIT))
            db.session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            db.session.execute(text(LOCK_AUDIT))
            db.session.commit()
            return
        except OperationalError:
            db.session.rollback()
            if attempt == attempts - 1:
                raise
            time.sleep(0.5)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def demo(app):
    """The demo street (3 communities, 12 grids) with its users, built through the services."""
    from patrol.demo import street

    street.seed_areas()
    workers = street.seed_users(DEMO_PASSWORD, start_date=__import__("datetime").date(2020, 1, 1))
    return {"workers": workers, "grids": street.street_grids(), "password": DEMO_PASSWORD}


class ApiClient:
    """The test client with a bearer token for one user."""

    def __init__(self, client, token):
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def _call(self, method, url, **kwargs):
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return getattr(self.client, method)(url, headers=headers, **kwargs)

    def get(self, url, **kw):
        return self._call("get", url, **kw)

    def post(self, url, **kw):
        return self._call("post", url, **kw)

    def put(self, url, **kw):
        return self._call("put", url, **kw)

    def patch(self, url, **kw):
        return self._call("patch", url, **kw)

    def delete(self, url, **kw):
        return self._call("delete", url, **kw)


@pytest.fixture
def login(client):
    """login("demo-worker") -> ApiClient signed in as that user."""

    def sign_in(username, password=DEMO_PASSWORD):
        response = client.post("/api/v1/auth/login", json={"username": username, "password": password})
        assert response.status_code == 200, response.get_json()
        return ApiClient(client, response.get_json()["access_token"])

    return sign_in


def assert_error_shape(response, status, code=None):
    """The response is `status` in the one error shape: a catalogue code and a one-language message."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:500])
    body = response.get_json()
    assert set(body) == {"code", "status", "message", "errors"}, body
    assert body["status"] == status
    assert body["code"] in messages.catalogue("en"), body
    if code is not None:
        assert body["code"] == code, body
    assert isinstance(body["message"], str) and body["message"]
    assert not messages.is_bilingual(body["message"]), body["message"]
    assert isinstance(body["errors"], dict)
    return body
