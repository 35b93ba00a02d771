"""Sign-in throttling under concurrency, equal work for every refusal, and the password change's throttle."""

import threading

from sqlalchemy import func, select

from patrol.auth import passwords
from patrol.auth.models import LoginAttempt
from patrol.extensions import db
from tests.conftest import DEMO_PASSWORD, assert_error_shape

PARALLEL = 20


def _failures():
    query = select(func.count()).select_from(LoginAttempt).where(LoginAttempt.succeeded.is_(False))
    return db.session.execute(query).scalar()


def test_parallel_wrong_passwords_are_checked_at_most_limit_times(app, demo):
    limit = app.config["LOGIN_MAX_FAILURES"]
    assert limit < PARALLEL
    barrier = threading.Barrier(PARALLEL)
    statuses = []

    def attempt():
        client = app.test_client()
        barrier.wait()
        response = client.post("/api/v1/auth/login", json={"username": "demo-worker", "password": "wrong-password"})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=attempt) for _ in range(PARALLEL)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(statuses) == PARALLEL
    assert statuses.count(401) == limit, statuses  # only `limit` passwords were checked
    assert statuses.count(429) == PARALLEL - limit
    assert _failures() == limit


class HashSpy:
    """Stands in for the Argon2 hasher: counts verifications (the costly step) and delegates them."""

    def __init__(self, monkeypatch):
        self.calls = 0
        self.real = passwords._production
        monkeypatch.setattr(passwords, "_production", self)

    def verify(self, hash_, password):
        self.calls += 1
        return self.real.verify(hash_, password)


def _login(client, username, password):
    return client.post("/api/v1/auth/login", json={"username": username, "password": password})


def test_unknown_deactivated_and_wrong_password_each_cost_one_verification(client, demo, login, monkeypatch):
    admin = login("demo-admin")
    worker_id = login("demo-worker2").get("/api/v1/auth/me").get_json()["id"]
    assert admin.patch(f"/api/v1/users/{worker_id}", json={"active": False}).status_code == 200
    spy = HashSpy(monkeypatch)
    answers = {}
    for case, username, password in (
        ("wrong password", "demo-worker", "wrong-password"),
        ("unknown user", "nobody-here", "wrong-password"),
        ("deactivated, right password", "demo-worker2", DEMO_PASSWORD),
        ("deactivated, wrong password", "demo-worker2", "wrong-password"),
    ):
        before = spy.calls
        response = _login(client, username, password)
        answers[case] = (spy.calls - before, response.status_code, response.get_json()["message"])
    assert {work for work, _, _ in answers.values()} == {1}, answers
    assert len({(status, message) for _, status, message in answers.values()}) == 1, answers


def test_password_change_is_throttled_like_sign_in(client, demo, login, app):
    limit = app.config["LOGIN_MAX_FAILURES"]
    worker = login("demo-worker")
    wrong = {"current_password": "not-my-password", "new_password": "a-new-long-password"}
    for _ in range(limit):
        assert_error_shape(worker.post("/api/v1/auth/password", json=wrong), 403)
    right = {"current_password": DEMO_PASSWORD, "new_password": "a-new-long-password"}
    blocked = assert_error_shape(worker.post("/api/v1/auth/password", json=right), 429)
    assert blocked["message"]
    assert worker.get("/api/v1/auth/me").status_code == 200  # nothing changed: the token still works
    assert_error_shape(_login(client, "demo-worker", DEMO_PASSWORD), 429)  # one counter for both doors
