"""Read-heavy work on a PostgreSQL streaming replica when one is configured, reachable and fresh.

`with read_replica():` (or `@reads_from_replica` on a view method) points `db.session` at the
replica for the block; it falls back to the primary when DATABASE_REPLICA_URL is empty, the replica
is unreachable or it lags more than REPLICA_MAX_LAG_SECONDS. Only read-only code may run inside: the
replica refuses writes. See docs/replica.md.
"""

import logging
import threading
import time
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from functools import wraps

from flask import current_app, g, request
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from patrol.errors import DomainError
from patrol.extensions import db
from patrol.metrics import REPLICA_LAG_SECONDS, REPLICA_USABLE

log = logging.getLogger(__name__)

# Lag is zero while everything received has been replayed (an idle primary sends nothing, which is not lag).
LAG_SQL = text(
    "SELECT CASE WHEN NOT pg_is_in_recovery() THEN 0"
    " WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0"
    " ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 1e9) END"
)
_EXTENSION = "gridpatrol_replica"


@dataclass
class ReplicaState:
    engine: Engine | None
    usable: bool = False
    lag: float | None = None
    checked_at: float = float("-inf")
    lock: threading.Lock = field(default_factory=threading.Lock)


def _state(app):
    state = app.extensions.get(_EXTENSION)
    if state is None:
        state = app.extensions.setdefault(_EXTENSION, ReplicaState(_create_engine(app)))
    return state


def _create_engine(app):
    url = app.config.get("DATABASE_REPLICA_URL") or ""
    if not url:
        return None
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
    connect_args = dict(options.get("connect_args", {}))
    connect_args["connect_timeout"] = min(int(connect_args.get("connect_timeout", 2)), 2)
    options["connect_args"] = connect_args
    return create_engine(url, **options)


def configured_engine(app):
    """The replica engine when DATABASE_REPLICA_URL is set (healthy or not), else None."""
    return _state(app).engine


def _check(app, state):
    try:
        with state.engine.connect() as connection:
            lag = float(connection.execute(LAG_SQL).scalar())
    except SQLAlchemyError as exc:
        if state.usable or state.checked_at == float("-inf"):
            log.warning("read replica unreachable, reading from the primary: %s", str(exc).splitlines()[0])
        state.usable, state.lag = False, None
    else:
        limit = app.config["REPLICA_MAX_LAG_SECONDS"]
        usable = lag <= limit
        if not usable and state.usable is not False:
            log.warning("read replica lags %.1f s (limit %.1f s), reading from the primary", lag, limit)
        state.usable, state.lag = usable, lag
    state.checked_at = time.monotonic()
    REPLICA_USABLE.set(1 if state.usable else 0)
    if state.lag is not None:
        REPLICA_LAG_SECONDS.set(state.lag)


def replica_engine():
    """The replica engine if it is reachable and within the lag bound (checked every few seconds), else None."""
    app = current_app._get_current_object()
    state = _state(app)
    if state.engine is None:
        return None
    if time.monotonic() - state.checked_at >= app.config["REPLICA_CHECK_SECONDS"]:
        with state.lock:
            if time.monotonic() - state.checked_at >= app.config["REPLICA_CHECK_SECONDS"]:
                _check(app, state)
    return state.engine if state.usable else None


def mark_unusable():
    """Stop using the replica until the next check (a query on it just failed)."""
    state = _state(current_app._get_current_object())
    state.usable = False
    state.checked_at = time.monotonic()
    REPLICA_USABLE.set(0)


@contextmanager
def read_replica():
    """Point db.session at the replica for the block when it is usable; yields True if it is."""
    engine = replica_engine()
    if engine is None:
        yield False
        return
    registry = db.session.registry
    primary = registry()
    session = Session(bind=engine)
    registry.set(session)
    g.db_role = "replica"  # for the request's log line
    try:
        yield True
    except OperationalError:
        mark_unusable()
        raise
    finally:
        session.close()
        registry.set(primary)


def _authenticate_on_primary():
    # A token issued a moment ago may not have reached the replica yet: resolve the caller first.
    if request.headers.get("Authorization"):
        from patrol.auth import current_user

        with suppress(DomainError):
            current_user()


def reads_from_replica(view):
    """Decorate a read-only view (outermost, above @blp.arguments/@blp.response) to read from the replica."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        _authenticate_on_primary()
        used = False
        try:
            with read_replica() as used:
                return view(*args, **kwargs)
        except OperationalError as exc:
            if not used:
                raise
            log.warning("query on the read replica failed, retrying on the primary: %s", type(exc).__name__)
            mark_unusable()
            g.db_role = "primary"
            return view(*args, **kwargs)

    return wrapper
