"""Opaque pull cursors: the server time of a pull, read back with a small overlap."""

import base64
from datetime import UTC, datetime, timedelta

from marshmallow import ValidationError, fields

from patrol import messages

# A transaction that began before a pull but committed after it carries an earlier updated_at;
# reading back this far past the cursor catches it (the phone upserts by id, so repeats are harmless).
OVERLAP = timedelta(minutes=2)
PREFIX = "c1:"


def encode(moment):
    """The cursor handed to the phone for a pull made at `moment`."""
    micros = int(moment.timestamp() * 1_000_000)
    return base64.urlsafe_b64encode(f"{PREFIX}{micros}".encode()).decode().rstrip("=")


def decode(cursor):
    """The aware datetime after which changes are wanted (the cursor's moment less the overlap)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        if not raw.startswith(PREFIX):
            raise ValueError(cursor)
        moment = datetime.fromtimestamp(int(raw[len(PREFIX) :]) / 1_000_000, UTC)
    except (ValueError, UnicodeDecodeError, OverflowError, OSError):
        raise ValidationError(messages.text("sync.invalid_cursor")) from None
    return moment - OVERLAP


class Cursor(fields.String):
    """A query field turning a cursor string into the datetime to read changes after."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if len(text) > 64:
            raise ValidationError(messages.text("sync.invalid_cursor"))
        return decode(text)
