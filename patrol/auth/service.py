"""Login, tokens, users: the rules of who is who."""

import hashlib
import secrets
from datetime import timedelta
from functools import cache

from flask import current_app, g, request
from sqlalchemy import bindparam, func, select, update

from patrol import messages
from patrol.areas.models import Area
from patrol.audit import service as audit
from patrol.auth import roles
from patrol.auth.models import AuthToken, LoginAttempt, User
from patrol.auth.passwords import MIN_PASSWORD_LENGTH, burn_time, hash_password, verify_password
from patrol.auth.roles import ROLES
from patrol.auth.scope import covers_code, require_role
from patrol.errors import Conflict, Forbidden, Invalid, NotFound, TooManyRequests, Unauthorized
from patrol.extensions import db
from patrol.localtime import utcnow

# Which role may create which: nobody hands out a role above their own.
ROLE_AREA_LEVEL = {
    "worker": "community",
    "community_admin": "community",
    "street_reviewer": "street",
    "department": "street",
    "admin": None,
}


_LOGIN_LOCK = 0x4C4F47  # advisory lock class of sign-in checks ("LOG"); the second key is the username's hash


# Checks other features add for a new account (incidents: a department account names its own department).
# The platform imports no feature; features register here when they are loaded (patrol.features).
ACCOUNT_CHECKS = []

def _token_digest(token):
    return hashlib.sha256(token.encode()).hexdigest()


def _client_address():
    return request.remote_addr if request else None


def login(username, password, user_agent=None):
    """Check credentials (throttled per username and address); return a new token and its user."""
    address = _client_address()
    _refuse_if_throttled(username, address)
    user = db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    # Every path spends one Argon2 verification: unknown and deactivated users take as long as wrong passwords.
    if user is None:
        burn_time(password)
        ok = False
    else:
        ok = verify_password(user.password_hash, password) and user.active
    db.session.add(LoginAttempt(username=username[:64], client_address=address, succeeded=ok))
    if not ok:
        db.session.commit()
        raise Unauthorized("auth.bad_credentials")
    token = secrets.token_urlsafe(32)
    expires_at = utcnow() + current_app.config["TOKEN_TTL"]
    db.session.add(
        AuthToken(
            token_hash=_token_digest(token),
            user_id=user.id,
            expires_at=expires_at,
            client_address=address,
            user_agent=(user_agent or "")[:255],
        )
    )
    db.session.commit()
    return {"access_token": token, "token_type": "Bearer", "expires_at": expires_at, "user": user}


def _refuse_if_throttled(username, address):
    """429 after too many failures; the lock held to the commit makes count-check-record one step per username."""
    db.session.execute(select(func.pg_advisory_xact_lock(_LOGIN_LOCK, func.hashtext(username[:64]))))
    window = current_app.config["LOGIN_WINDOW"]
    since = utcnow() - window
    query = select(func.count(), func.min(LoginAttempt.attempted_at)).where(
        LoginAttempt.username == username,
        LoginAttempt.succeeded.is_(False),
        LoginAttempt.attempted_at > since,
    )
    query = query.where(LoginAttempt.client_address == address) if address else query
    failures, oldest = db.session.execute(query).one()
    if failures >= current_app.config["LOGIN_MAX_FAILURES"]:
        retry_after = max(1, int((oldest + window - utcnow()).total_seconds()) + 1)
        raise TooManyRequests("auth.too_many_failed_logins", retry_after)


@cache
def _by_token():
    # Built once: every API request runs it, and building plus cache-keying a select costs more than the query.
    return (
        select(AuthToken, User)
        .join(User, User.id == AuthToken.user_id)
        .where(AuthToken.token_hash == bindparam("digest"))
    )


def authenticate(token):
    """The active user behind a bearer token, or None when it is unknown, expired or revoked."""
    row = db.session.execute(_by_token(), {"digest": _token_digest(token)}).first()
    if row is None:
        return None
    auth_token, user = row
    if auth_token.revoked_at is not None or auth_token.expires_at <= utcnow() or not user.active:
        return None
    if auth_token.created_at < user.password_changed_at:
        return None
    return user, auth_token


def current_user():
    """The authenticated caller of this request; 401 when there is none."""
    if "current_user" in g:
        return g.current_user
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized()
    found = authenticate(token.strip())
    if found is None:
        raise Unauthorized("auth.token_expired")
    g.current_user, g.current_token = found
    return g.current_user


def logout():
    """Revoke the token this request was made with."""
    current_user()
    g.current_token.revoked_at = utcnow()
    db.session.commit()


def revoke_all_tokens(user_id):
    db.session.execute(
        update(AuthToken)
        .where(AuthToken.user_id == user_id, AuthToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def change_password(user, current_password, new_password):
    """Set a new password after checking the old one (throttled like sign-in); every token of the user is revoked."""
    address = _client_address()
    _refuse_if_throttled(user.username, address)
    if not verify_password(user.password_hash, current_password):
        db.session.add(LoginAttempt(username=user.username[:64], client_address=address, succeeded=False))
        db.session.commit()
        raise Forbidden("auth.current_password_wrong")
    _check_password(new_password)
    user.password_hash = hash_password(new_password)
    user.password_changed_at = utcnow()
    revoke_all_tokens(user.id)
    audit.record(user, "user.password_change", "user", user.id)
    db.session.commit()


def _check_password(password):
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(
            "auth.password_too_short",
            {"password": [messages.text("field.too_short")]},
            min_password_length=MIN_PASSWORD_LENGTH,
        )


def _area_by_code(code):
    area = db.session.execute(select(Area).where(Area.code == code)).scalar_one_or_none()
    if area is None:
        raise Invalid("auth.unknown_area", {"area_code": [messages.text("field.unknown_area")]}, code_value=code)
    return area


def create_user(username, password, role, full_name, area_code=None, actor=None, department_id=None):
    """Create an account; `actor` None means an operator at the CLI."""
    if role not in ROLES:
        raise Invalid("auth.unknown_role", {"role": [f"must be one of {', '.join(ROLES)}"]}, role=role)
    area = _area_by_code(area_code) if area_code else None
    expected_level = ROLE_AREA_LEVEL[role]
    if expected_level and (
        area is None or area.level not in (expected_level, "grid" if role == "worker" else expected_level)
    ):
        raise Invalid(
            "auth.role_needs_area_level",
            {"area_code": [f"a {expected_level} code is required"]},
            role=role,
            expected_level=expected_level,
        )
    if actor is not None:
        _check_may_manage(actor, role, area)
    for check in ACCOUNT_CHECKS:
        check(actor, role, area, department_id)
    _check_password(password)
    if db.session.execute(select(User.id).where(User.username == username)).scalar() is not None:
        raise Conflict("auth.username_taken", {"username": [messages.text("field.taken")]}, username=username)
    user = User(
        username=username,
        full_name=full_name,
        password_hash=hash_password(password),
        role=role,
        area_id=area.id if area else None,
        department_id=department_id,
    )
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "user.create", "user", user.id, area.code if area else None, {"role": role})
    db.session.commit()
    return user


def _check_may_manage(actor, role, area):
    require_role(actor, *roles.STAFF)
    allowed = {
        "admin": ROLES,
        "street_reviewer": ("worker", "community_admin", "department"),
        "community_admin": ("worker",),
    }[actor.role]
    if role not in allowed:
        raise Forbidden("auth.may_not_create_role", role=role)
    if area is not None and not covers_code(actor, area.code):
        raise Forbidden("auth.area_outside_yours")


def list_users(actor, role=None):
    """Users whose area lies inside the actor's area."""
    require_role(actor, *roles.STAFF)
    query = select(User).outerjoin(Area, Area.id == User.area_id).order_by(User.username)
    if role:
        query = query.where(User.role == role)
    if not (actor.role == "admin" and actor.area is None):
        query = query.where(Area.code.startswith(actor.area.code))
    return db.session.execute(query).scalars().all()


def get_user(actor, user_id):
    user = db.session.get(User, user_id)
    if user is None or (actor.id != user.id and user not in list_users(actor)):
        raise NotFound("auth.no_such_user")
    return user


def set_active(actor, user_id, active):
    """Deactivate or reactivate an account; deactivation revokes its tokens at once."""
    user = get_user(actor, user_id)
    if user.id == actor.id:
        raise Conflict("auth.cannot_deactivate_yourself")
    _check_may_manage(actor, user.role, user.area)
    user.active = active
    if not active:
        revoke_all_tokens(user.id)
    audit.record(actor, "user.activate" if active else "user.deactivate", "user", user.id)
    db.session.commit()
    return user


def token_ttl_seconds():
    return int(current_app.config["TOKEN_TTL"] / timedelta(seconds=1))
