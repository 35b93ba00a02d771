"""Monthly partitions of track_point, created on demand before points are inserted."""

from datetime import UTC, datetime

from sqlalchemy import text

from patrol.extensions import db
from patrol.patrols.settings import fix_window

_PARTITION_LOCK = 7_246_003  # advisory lock key serialising partition creation
_known: set[tuple[int, int]] = set()  # months this process has seen exist (existence only, never shared state)


def partition_name(year, month):
    return f"track_point_y{year:04d}m{month:02d}"


def _next_month(year, month):
    return (year + 1, 1) if month == 12 else (year, month + 1)


def months_between(first: datetime, last: datetime):
    """(year, month) pairs in UTC from the month of `first` to the month of `last`, inclusive."""
    first, last = first.astimezone(UTC), last.astimezone(UTC)
    year, month = first.year, first.month
    months = []
    while (year, month) <= (last.year, last.month):
        months.append((year, month))
        year, month = _next_month(year, month)
    return months


def known_to_exist(moment: datetime):
    """Whether this process has already seen the partition of the moment's (UTC) month exist."""
    moment = moment.astimezone(UTC)
    return (moment.year, moment.month) in _known


def ensure_partitions(first: datetime, last: datetime):
    """Create the monthly partitions covering [first, last] that do not exist yet.

    Runs on its own connection and commits at once, so the caller's transaction never holds
    the lock that creating a partition takes on the parent table. Only the months around now (the
    accepted fix window) are ever created: callers refuse other fix times first, and this refuses too.
    """
    allowed = set(months_between(*fix_window()))
    wanted = months_between(first, last)
    if not set(wanted) <= allowed:
        raise ValueError("refusing to create a partition outside the accepted fix window")
    missing = [m for m in wanted if m not in _known]
    if not missing:
        return
    with db.engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PARTITION_LOCK})
        existing = set(
            conn.execute(
                text("SELECT relname FROM pg_class WHERE relname = ANY(:names)"),
                {"names": [partition_name(*m) for m in missing]},
            ).scalars()
        )
        for year, month in missing:
            name = partition_name(year, month)
            if name not in existing:
                _create(conn, name, year, month)
        conn.commit()
    _known.update(missing)


def _create(conn, name, year, month):
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(*_next_month(year, month), 1, tzinfo=UTC)
    stranded = conn.execute(
        text("SELECT count(*) FROM track_point_default WHERE fix_time >= :s AND fix_time < :e"), {"s": start, "e": end}
    ).scalar()
    if stranded:
        # Rows that reached DEFAULT for this month move into the new partition with it.
        conn.execute(text(f"CREATE TABLE {name} (LIKE track_point INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"))
        conn.execute(
            text(
                f"WITH moved AS (DELETE FROM track_point_default WHERE fix_time >= :s AND fix_time < :e RETURNING *) "
                f"INSERT INTO {name} SELECT * FROM moved"
            ),
            {"s": start, "e": end},
        )
        conn.execute(text(f"ALTER TABLE track_point ATTACH PARTITION {name} {_bounds(start, end)}"))
        return
    conn.execute(text(f"CREATE TABLE {name} PARTITION OF track_point {_bounds(start, end)}"))


def _bounds(start, end):
    return f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"


def forget_known():
    """Drop this process's memory of existing partitions (tests that drop partitions)."""
    _known.clear()
