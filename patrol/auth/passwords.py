"""Password hashing with Argon2id (argon2-cffi)."""

import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

_production = PasswordHasher()
# Test runs create many users; the cheap parameters are never used outside TESTING.
_fast = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)

MIN_PASSWORD_LENGTH = 8
# Each Argon2 hash takes 64 MiB; a gunicorn worker's threads hashing at once during a burst of
# sign-ins pushed a worker past 250 MB (bench_load). One hash at a time per process: the work is
# CPU-bound, so the other workers' processes keep the cores busy anyway.
_one_hash_at_a_time = threading.BoundedSemaphore(1)


def _hasher():
    return _fast if current_app.config.get("PASSWORD_HASH_FAST") else _production


def hash_password(password: str) -> str:
    with _one_hash_at_a_time:
        return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        with _one_hash_at_a_time:
            return _production.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# Spend the same time on unknown usernames as on wrong passwords, so timing does not reveal users.
_DUMMY_HASH = _production.hash("timing-equaliser")


def burn_time(password: str) -> None:
    verify_password(_DUMMY_HASH, password)
