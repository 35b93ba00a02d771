"""Failing statements never put their bound parameters (hashes, ID numbers) into logs or error text."""

import logging

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from patrol.extensions import db

SECRET = "$argon2id$v=19$secret-parameter-7f3a9c"


def _fail_and_answer(app, statement):
    """Run a statement that fails on the real database and hand its error to the app's handlers."""
    with app.test_request_context("/api/v1/anything"):
        try:
            db.session.execute(text(statement), {"secret": SECRET})
        except DBAPIError as exc:
            db.session.rollback()
            return exc, app.handle_user_exception(exc)
    raise AssertionError("the statement did not fail")


@pytest.mark.parametrize(
    ("statement", "status"),
    [
        ("SELECT CAST(:secret AS integer)", 422),  # DataError: the driver's message quotes the value
        ("SELECT * FROM table_that_does_not_exist WHERE name = :secret", 500),  # logged as a server error
    ],
)
def test_error_logs_carry_no_sql_parameters(app, caplog, statement, status):
    caplog.set_level(logging.DEBUG)
    error, response = _fail_and_answer(app, statement)
    assert response.status_code == status
    assert "secret-parameter" not in caplog.text
    assert "parameters hidden" in str(error)  # a later log of the exception does not list them either
    assert "secret-parameter" not in response.get_data(as_text=True)


def test_every_engine_hides_parameters(app):
    from patrol.replica import _create_engine

    assert db.engine.hide_parameters
    replica_config = {**app.config, "DATABASE_REPLICA_URL": app.config["SQLALCHEMY_DATABASE_URI"]}
    replica = _create_engine(type("App", (), {"config": replica_config})())
    try:
        assert replica.hide_parameters
    finally:
        replica.dispose()
