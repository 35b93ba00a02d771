"""Bounded date and datetime fields: every schema and route that takes a day or an instant uses these.

Dates like 9999-12-31 or 0001-01-01 parse in Python but overflow date arithmetic (a day added, a
local midnight computed) or PostgreSQL's ranges; they are refused as bad input (422) instead.
"""

from datetime import date, datetime

from marshmallow import ValidationError, fields

from patrol import messages

EARLIEST = date(1900, 1, 1)
LATEST = date(2099, 12, 31)


def _out_of_range():
    return ValueError(messages.text("request.date_must_between", earliest=EARLIEST, latest=LATEST))


def check_day(day):
    """The day itself when within the accepted range; ValueError otherwise."""
    if not EARLIEST <= day <= LATEST:
        raise _out_of_range()
    return day


def check_instant(moment):
    """The instant itself when its day is within the range (strictly: a time zone shift cannot overflow)."""
    if not EARLIEST < moment.date() < LATEST:
        raise _out_of_range()
    return moment


def parse_day(text):
    """'YYYY-MM-DD' within the range -> date; ValueError otherwise."""
    return check_day(date.fromisoformat(text))


def parse_instant(text):
    """An ISO 8601 instant within the range -> datetime; ValueError otherwise."""
    return check_instant(datetime.fromisoformat(text))


class Date(fields.Date):
    """fields.Date refusing days outside 1900-01-01 … 2099-12-31."""

    def _deserialize(self, value, attr, data, **kwargs):
        day = super()._deserialize(value, attr, data, **kwargs)
        try:
            return check_day(day)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


class DateTime(fields.DateTime):
    """fields.DateTime refusing instants outside 1900-01-01 … 2099-12-31."""

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            return check_instant(moment)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
