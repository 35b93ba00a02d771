"""One tracker fix as each client sends it: OsmAnd's live tracking, Traccar Client's form and its JSON.

Field meanings per client (docs/patrols.md has the table):
- OsmAnd (online tracking URL `…&lat={0}&lon={1}&timestamp={2}&hdop={3}&altitude={4}&speed={5}`):
  `hdop` is the fix's accuracy in metres (OsmAnd writes Location.getAccuracy() there), `speed` is m/s,
  `timestamp` is Unix milliseconds. A request carrying `hdop` and no `accuracy` is OsmAnd's.
- Traccar Client, form (`id, lat, lon, timestamp, speed, bearing, altitude, accuracy, batt, charge`):
  `accuracy` in metres, `speed` in knots, `timestamp` in Unix seconds, `batt` in percent.
- Traccar Client, JSON (`{location: {timestamp, coords: {…, accuracy, speed, heading}, battery: {level,
  is_charging}, …}, device_id}`): ISO time, accuracy in metres, speed in m/s, battery level 0–1.
"""

import math
from dataclasses import dataclass
from datetime import UTC, datetime

from patrol import messages
from patrol.errors import BadRequest
from patrol.localtime import utcnow
from patrol.patrols.points import FLOAT4_MAX, FLOAT4_MIN, _problem

KNOT_MPS = 0.514444
CLIENTS = ("osmand", "traccar", "traccar-json")


@dataclass
class FixMeta:
    """What a fix tells about its device: which client sent it, and the battery when reported."""

    client: str
    battery: float | None = None  # percent
    charging: bool | None = None


def malformed(reason):
    return BadRequest("patrol.malformed_fix", {"fix": [reason]}, reason=reason)


def _number(value, name, required=False):
    if value is None or value == "":
        if required:
            raise malformed(f"{name} is required")
        return None
    if isinstance(value, bool):
        raise malformed(f"{name} must be a number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise malformed(f"{name} must be a number") from None
    if not math.isfinite(number):
        raise malformed(f"{name} must be finite")
    return number


def _timestamp_ms(value):
    """Unix seconds, Unix milliseconds (from 1e12 on) or ISO 8601 (UTC when no offset) as epoch ms."""
    if value is None or value == "":
        return utcnow().timestamp() * 1000
    if isinstance(value, int | float) or (isinstance(value, str) and value.replace(".", "", 1).isdigit()):
        number = _number(value, "timestamp")
        return number if number >= 1e12 else number * 1000
    if not isinstance(value, str):
        raise malformed("timestamp must be Unix seconds, milliseconds or ISO 8601")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise malformed("timestamp must be Unix seconds, milliseconds or ISO 8601") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp() * 1000


def _flag(value):
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    return str(value).lower() in ("true", "1")


def _battery(value, scale):
    level = _number(value, "battery")
    if level is None or not 0 <= level * scale <= 100:
        return None  # unknown (trackers send -1) or nonsense: not shown
    return round(level * scale, 1)


def _from_json(body, params):
    if not isinstance(body, dict) or not isinstance(body.get("location"), dict):
        raise malformed("JSON body must hold device_id and location")
    location = body["location"]
    coords = location.get("coords")
    if not isinstance(coords, dict):
        raise malformed("location.coords is required")
    battery = location.get("battery") if isinstance(location.get("battery"), dict) else {}
    key = body.get("device_id") or params.get("id") or params.get("deviceid")
    row = [
        _timestamp_ms(location.get("timestamp")),
        _number(coords.get("longitude"), "longitude", True),
        _number(coords.get("latitude"), "latitude", True),
        _number(coords.get("accuracy"), "accuracy"),
        _number(coords.get("speed"), "speed"),
        _number(coords.get("heading"), "heading"),
    ]
    return key, row, FixMeta("traccar-json", _battery(battery.get("level"), 100), _flag(battery.get("is_charging")))


def _from_params(params):
    key = params.get("id") or params.get("deviceid")
    lat, lon = params.get("lat"), params.get("lon")
    if (lat is None or lon is None) and params.get("location"):
        lat, _, lon = params["location"].partition(",")
    osmand = params.get("hdop") not in (None, "") and params.get("accuracy") in (None, "")
    speed = _number(params.get("speed"), "speed")
    row = [
        _timestamp_ms(params.get("timestamp")),
        _number(lon, "lon", True),
        _number(lat, "lat", True),
        _number(params.get("hdop") if osmand else params.get("accuracy"), "accuracy"),
        None if speed is None else speed if osmand else speed * KNOT_MPS,
        _number(params.get("bearing", params.get("heading")), "heading"),
    ]
    if osmand:
        return key, row, FixMeta("osmand")
    return key, row, FixMeta("traccar", _battery(params.get("batt"), 1), _flag(params.get("charge")))


def parse_fix(params, body):
    """(device key, [t_ms, lon, lat, accuracy m, speed m/s, heading], FixMeta) from any client's request."""
    key, row, meta = _from_json(body, params) if body is not None else _from_params(params)
    if not isinstance(key, str) or not key:
        raise BadRequest("patrol.unknown_device", {"id": [messages.text("field.device_id_required")]})
    if row[4] is not None and row[4] < 0:  # trackers send -1 for "unknown"
        row[4] = None
    if row[5] is not None and row[5] < 0:
        row[5] = None
    problem = _problem(row)
    if problem is not None:
        raise malformed(problem)
    if any(value is not None and not (value == 0 or FLOAT4_MIN <= abs(value) <= FLOAT4_MAX) for value in row[3:]):
        raise malformed("accuracy, speed and heading must fit a 4-byte float")
    return key, row, meta
