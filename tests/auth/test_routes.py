from datetime import timedelta

from sqlalchemy import func, select, update

from patrol.auth.models import AuthToken, LoginAttempt
from patrol.extensions import db
from tests.conftest import DEMO_PASSWORD, assert_error_shape


def _login(client, username, password=DEMO_PASSWORD):
    return client.post("/api/v1/auth/login", json={"username": username, "password": password})


def test_login_returns_token_expiry_and_user(client, demo):
    response = _login(client, "demo-worker")
    assert response.status_code == 200
    body = response.get_json()
    assert len(body["access_token"]) >= 40
    assert body["user"]["username"] == "demo-worker"
    assert body["user"]["role"] == "worker"
    assert "password_hash" not in body["user"]
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200 and me.get_json()["username"] == "demo-worker"


def test_token_is_stored_hashed(client, demo):
    token = _login(client, "demo-worker").get_json()["access_token"]
    stored = db.session.execute(select(AuthToken.token_hash)).scalars().all()
    assert token not in stored and len(stored) == 1


def test_wrong_password_and_unknown_user_answer_alike(client, demo):
    wrong = _login(client, "demo-worker", "not-the-password")
    unknown = _login(client, "nobody-here", "whatever1")
    assert assert_error_shape(wrong, 401)["message"] == assert_error_shape(unknown, 401)["message"]


def test_requests_without_or_with_bad_token_are_401(client, demo):
    assert_error_shape(client.get("/api/v1/auth/me"), 401)
    assert_error_shape(client.get("/api/v1/auth/me", headers={"Authorization": "Bearer nonsense"}), 401)
    assert_error_shape(client.get("/api/v1/auth/me", headers={"Authorization": "Basic abc"}), 401)


def test_expired_token_is_refused(client, demo):
    token = _login(client, "demo-worker").get_json()["access_token"]
    db.session.execute(update(AuthToken).values(expires_at=func.now() - timedelta(seconds=1)))
    db.session.commit()
    assert_error_shape(client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}), 401)


def test_logout_revokes_only_that_token(client, demo):
    first = _login(client, "demo-worker").get_json()["access_token"]
    second = _login(client, "demo-worker").get_json()["access_token"]
    assert client.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {first}"}).status_code == 204
    assert_error_shape(client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {first}"}), 401)
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {second}"}).status_code == 200


def test_password_change_revokes_every_token(client, demo):
    token = _login(client, "demo-worker").get_json()["access_token"]
    other = _login(client, "demo-worker").get_json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    refused = client.post(
        "/api/v1/auth/password",
        headers=headers,
        json={"current_password": "wrong-one", "new_password": "a-new-password"},
    )
    assert_error_shape(refused, 403)
    changed = client.post(
        "/api/v1/auth/password",
        headers=headers,
        json={"current_password": DEMO_PASSWORD, "new_password": "a-new-password"},
    )
    assert changed.status_code == 204
    for old in (token, other):
        assert_error_shape(client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {old}"}), 401)
    assert_error_shape(_login(client, "demo-worker"), 401)
    assert _login(client, "demo-worker", "a-new-password").status_code == 200


def test_login_is_throttled_after_repeated_failures(client, demo, app):
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit):
        assert_error_shape(_login(client, "demo-worker", "bad-password"), 401)
    blocked = _login(client, "demo-worker")  # even the right password waits now
    assert_error_shape(blocked, 429)
    assert 0 < int(blocked.headers["Retry-After"]) <= app.config["LOGIN_WINDOW"].total_seconds() + 1
    # Another user from the same address is not locked out by someone else's failures.
    assert _login(client, "demo-worker2").status_code == 200
    # The throttle lives in the database, so every gunicorn worker sees it.
    failures = db.session.execute(
        select(func.count()).select_from(LoginAttempt).where(LoginAttempt.succeeded.is_(False))
    ).scalar()
    assert failures == limit


def test_throttle_window_expires(client, demo, app):
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        _login(client, "demo-worker", "bad-password")
    db.session.execute(update(LoginAttempt).values(attempted_at=LoginAttempt.attempted_at - app.config["LOGIN_WINDOW"]))
    db.session.commit()
    assert _login(client, "demo-worker").status_code == 200


def test_deactivated_user_loses_access(client, demo, login):
    worker = login("demo-worker")
    admin = login("demo-admin")
    worker_id = worker.get("/api/v1/auth/me").get_json()["id"]
    assert admin.patch(f"/api/v1/users/{worker_id}", json={"active": False}).status_code == 200
    assert_error_shape(worker.get("/api/v1/auth/me"), 401)
    assert_error_shape(_login(client, "demo-worker"), 401)


def test_user_management_is_scoped_by_role(demo, login):
    community = login("demo-community")
    created = community.post(
        "/api/v1/users",
        json={
            "username": "new-worker",
            "password": "long-enough-pw",
            "full_name": "新网格员",
            "role": "worker",
            "area_code": "330106010001",
        },
    )
    assert created.status_code == 201, created.get_json()
    assert_error_shape(
        community.post(
            "/api/v1/users",
            json={
                "username": "boss",
                "password": "long-enough-pw",
                "full_name": "x",
                "role": "street_reviewer",
                "area_code": "330106010",
            },
        ),
        403,
    )
    assert_error_shape(
        community.post(
            "/api/v1/users",
            json={
                "username": "elsewhere",
                "password": "long-enough-pw",
                "full_name": "x",
                "role": "worker",
                "area_code": "330106010002",
            },
        ),
        403,
    )
    assert_error_shape(login("demo-worker").get("/api/v1/users"), 403)
    names = {u["username"] for u in community.get("/api/v1/users").get_json()}
    assert "new-worker" in names and "demo-worker" in names
    assert "demo-worker5" not in names  # community 2
