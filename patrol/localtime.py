"""Local days and times in the configured time zone (default Asia/Shanghai)."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app


def tz():
    return ZoneInfo(current_app.config["TIMEZONE"])


def utcnow():
    return datetime.now(UTC)


def today():
    """The local date now."""
    return datetime.now(tz()).date()


def local_date(moment: datetime) -> date:
    """The local calendar day an aware datetime falls on."""
    return moment.astimezone(tz()).date()


def local_midnight(day: date) -> datetime:
    """The aware datetime at which a local day begins."""
    return datetime(day.year, day.month, day.day, tzinfo=tz())


def to_local(moment: datetime | None):
    return None if moment is None else moment.astimezone(tz())
