"""A database lost mid-request still gets an answer in the error shape, never gunicorn's HTML 500."""

import os

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from patrol import create_app
from patrol.extensions import db


def test_connection_lost_while_releasing_the_session(monkeypatch):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": os.environ["TEST_DATABASE_URL"]})
    original = Session.close
    calls = []

    def close_on_a_dead_server(self):
        calls.append(self)
        if len(calls) == 1:
            raise OperationalError("ROLLBACK", {}, Exception("server closed the connection unexpectedly"))
        return original(self)

    monkeypatch.setattr(Session, "close", close_on_a_dead_server)
    try:
        response = app.test_client().get("/api/v1/health")  # before the fix: the teardown's error escaped
        response.close()
    finally:
        monkeypatch.undo()
        for session in calls:
            session.close()  # the close that "failed" left its connection checked out
        with app.app_context():
            db.engines[None].dispose()  # its pooled connection must not outlive the test
    assert response.status_code == 200 and calls
