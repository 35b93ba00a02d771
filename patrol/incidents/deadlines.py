"""Due times: calendar hours, or working days with the holiday calendar (public holidays and 调休)."""

from datetime import timedelta

from sqlalchemy import select

from patrol.extensions import db
from patrol.incidents.models import Holiday
from patrol.localtime import local_date, local_midnight


def calendar_exceptions(first, last):
    """{day: is_workday} for the calendar rows between two dates."""
    rows = db.session.execute(select(Holiday.day, Holiday.is_workday).where(Holiday.day.between(first, last)))
    return dict(rows.all())


def is_workday(day, exceptions):
    """Monday–Friday unless the calendar says otherwise (a holiday, or a weekend made a working day)."""
    if day in exceptions:
        return exceptions[day]
    return day.weekday() < 5


def add_workdays(start_day, count, exceptions):
    """The count-th working day after start_day."""
    day = start_day
    remaining = count
    while remaining > 0:
        day += timedelta(days=1)
        if is_workday(day, exceptions):
            remaining -= 1
    return day


def due_time(dispatched_at, value, unit):
    """When a case dispatched at `dispatched_at` is due: N hours later, or the end of the N-th working day after."""
    if unit == "hours":
        return dispatched_at + timedelta(hours=value)
    start = local_date(dispatched_at)
    # Long holidays (Spring Festival) are at most ~9 days; this window always covers the answer.
    exceptions = calendar_exceptions(start, start + timedelta(days=value * 3 + 30))
    last_day = add_workdays(start, value, exceptions)
    return local_midnight(last_day + timedelta(days=1))
