"""Password hashing with Argon2id (argon2-cffi)."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

_production = PasswordHasher()
# Test runs create many users; the cheap parameters are never used outside TESTING.
_fast = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)

MIN_PASSWORD_LENGTH = 8


def _hasher():
    return _fast if current_app.config.get("PASSWORD_HASH_FAST") else _production


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _production.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# Spend the same time on unknown usernames as on wrong passwords, so timing does not reveal users.
_DUMMY_HASH = _production.hash("timing-equaliser")


def burn_time(password: str) -> None:
    verify_password(_DUMMY_HASH, password)
