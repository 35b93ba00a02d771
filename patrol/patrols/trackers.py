"""Native trackers: device keys (issue, rotate, revoke) and the OsmAnd/Traccar Client protocol."""

import hashlib
import math
import secrets
from datetime import UTC, datetime, timedelta

import qrcode
import qrcode.image.svg
from flask import current_app, request
from sqlalchemy import delete, select, text

from patrol import messages
from patrol.areas.models import Area
from patrol.audit import service as audit
from patrol.auth.scope import require_role, worker_grid_ids
from patrol.errors import BadRequest
from patrol.extensions import db
from patrol.localtime import local_date, utcnow
from patrol.patrols import queries
from patrol.patrols.models import TrackerDevice
from patrol.patrols.partitions import ensure_partitions
from patrol.patrols.points import FLOAT4_MAX, FLOAT4_MIN, PointColumns, _problem, insert_points
from patrol.patrols.rules import effective_rules, shift_for
from patrol.patrols.service import new_patrol_id, start_server_patrol
from patrol.patrols.settings import setting

KNOT_MPS = 0.514444


def key_digest(key):
    return hashlib.sha256(key.encode()).hexdigest()


def server_url():
    """The OsmAnd endpoint as the tracker must be configured with it."""
    base = current_app.config.get("PUBLIC_URL") or request.host_url
    return base.rstrip("/") + "/api/v1/osmand"


def tracker_info(user):
    """Whether the worker has a key; the key itself is never shown again after issue."""
    require_role(user, "worker")
    device = db.session.execute(select(TrackerDevice).where(TrackerDevice.user_id == user.id)).scalar_one_or_none()
    return {"issued": device is not None, "issued_at": device and device.issued_at, "server_url": server_url()}


def issue_key(user):
    """Issue a new tracker key for the worker, replacing any previous one."""
    require_role(user, "worker")
    key = secrets.token_urlsafe(15)
    db.session.execute(delete(TrackerDevice).where(TrackerDevice.user_id == user.id))
    device = TrackerDevice(user_id=user.id, key_hash=key_digest(key), issued_at=utcnow())
    db.session.add(device)
    audit.record(user, "patrols.tracker_key", "app_user", user.id, user.area.code if user.area else None, {})
    db.session.commit()
    url = server_url()
    tracker_url = f"{url}?id={key}"
    svg = qrcode.make(tracker_url, image_factory=qrcode.image.svg.SvgPathImage).to_string(encoding="unicode")
    return {
        "issued": True,
        "issued_at": device.issued_at,
        "device_id": key,
        "server_url": url,
        "tracker_url": tracker_url,
        "qr_svg": svg,
    }


def revoke_key(user):
    """Remove the worker's tracker key; the tracker's fixes are refused from now on."""
    require_role(user, "worker")
    db.session.execute(delete(TrackerDevice).where(TrackerDevice.user_id == user.id))
    db.session.commit()


def _malformed(reason):
    return BadRequest("patrol.malformed_fix", {"fix": [reason]}, reason=reason)


def _number(value, name, required=False):
    if value is None or value == "":
        if required:
            raise _malformed(f"{name} is required")
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise _malformed(f"{name} must be a number") from None
    if not math.isfinite(number):
        raise _malformed(f"{name} must be finite")
    return number


def _timestamp_ms(value):
    if value is None or value == "":
        return utcnow().timestamp() * 1000
    if isinstance(value, int | float) or (isinstance(value, str) and value.replace(".", "", 1).isdigit()):
        number = _number(value, "timestamp")
        return number if number >= 1e12 else number * 1000
    if not isinstance(value, str):
        raise _malformed("timestamp must be Unix seconds, milliseconds or ISO 8601")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _malformed("timestamp must be Unix seconds, milliseconds or ISO 8601") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp() * 1000


def parse_fix(params, body):
    """(device key, [t_ms, lon, lat, accuracy, speed m/s, heading]) from OsmAnd parameters or Traccar JSON."""
    if body is not None:
        if not isinstance(body, dict) or not isinstance(body.get("location"), dict):
            raise _malformed("JSON body must hold device_id and location")
        location = body["location"]
        coords = location.get("coords")
        if not isinstance(coords, dict):
            raise _malformed("location.coords is required")
        key = body.get("device_id") or params.get("id") or params.get("deviceid")
        row = [
            _timestamp_ms(location.get("timestamp")),
            _number(coords.get("longitude"), "longitude", True),
            _number(coords.get("latitude"), "latitude", True),
            _number(coords.get("accuracy"), "accuracy"),
            _number(coords.get("speed"), "speed"),
            _number(coords.get("heading"), "heading"),
        ]
    else:
        key = params.get("id") or params.get("deviceid")
        lat, lon = params.get("lat"), params.get("lon")
        if (lat is None or lon is None) and params.get("location"):
            lat, _, lon = params["location"].partition(",")
        speed = _number(params.get("speed"), "speed")
        row = [
            _timestamp_ms(params.get("timestamp")),
            _number(lon, "lon", True),
            _number(lat, "lat", True),
            _number(params.get("accuracy"), "accuracy"),
            None if speed is None else speed * KNOT_MPS,
            _number(params.get("bearing", params.get("heading")), "heading"),
        ]
    if not isinstance(key, str) or not key:
        raise BadRequest("patrol.unknown_device", {"id": [messages.text("field.device_id_required")]})
    if row[4] is not None and row[4] < 0:  # trackers send -1 for "unknown"
        row[4] = None
    if row[5] is not None and row[5] < 0:
        row[5] = None
    problem = _problem(row)
    if problem is not None:
        raise _malformed(problem)
    if any(value is not None and not (value == 0 or FLOAT4_MIN <= abs(value) <= FLOAT4_MAX) for value in row[3:]):
        raise _malformed("accuracy, speed and heading must fit a 4-byte float")
    return key, row


_LATEST = text("""
SELECT d.user_id, p.id, p.grid_id, p.district_code, p.started_at, p.ended_at,
       (SELECT max(t.fix_time) FROM track_point t
        WHERE t.patrol_id = p.id AND t.fix_time >= p.started_at - interval '12 hours') AS last_fix
FROM tracker_device d
LEFT JOIN LATERAL (
    SELECT id, grid_id, district_code, started_at, ended_at FROM patrol
    WHERE worker_id = d.user_id AND source = 'osmand' AND started_at <= :fix + interval '12 hours'
    ORDER BY started_at DESC LIMIT 1
) p ON true
WHERE d.key_hash = :key_hash
""")


def receive_fix(params, body):
    """Store one tracker fix in the worker's patrol for the shift, opening or closing patrols as needed."""
    key, row = parse_fix(params, body)
    fix = datetime.fromtimestamp(row[0] / 1000, UTC)
    if fix > utcnow() + timedelta(days=1):
        raise _malformed("fix time is more than a day in the future")
    ensure_partitions(fix, fix)
    latest = db.session.execute(_LATEST, {"key_hash": key_digest(key), "fix": fix}).one_or_none()
    if latest is None:
        raise BadRequest("patrol.unknown_device", {"id": [messages.text("field.unknown_device")]})
    columns = PointColumns(*([value] for value in row))
    silence = timedelta(minutes=setting("PATROL_TRACKER_SILENCE_MIN"))
    patrol = _joinable(latest, fix, silence)
    if patrol is None:
        patrol = _open_patrol(latest.user_id, fix, row)
        if patrol is None:
            db.session.commit()
            return False  # outside the worker's grids or shift windows: nothing to record
    stored, _ = insert_points(patrol, columns)
    if stored and patrol.ended_at is not None:
        queries.refresh_figures([patrol.id])
    db.session.commit()
    return True


def _joinable(latest, fix, silence):
    """The tracker patrol this fix belongs to, closing the previous one when it has gone silent."""
    if latest.id is None:
        return None
    from patrol.patrols.models import Patrol

    if latest.ended_at is not None:
        return db.session.get(Patrol, latest.id) if fix <= latest.ended_at else None
    last = latest.last_fix or latest.started_at
    if fix - last <= silence and local_date(fix) == local_date(latest.started_at):
        return latest
    patrol = db.session.get(Patrol, latest.id)
    patrol.ended_at = max(last, patrol.started_at)
    db.session.flush()
    queries.refresh_figures([patrol.id])
    return None


def _open_patrol(user_id, fix, row):
    """Start a tracker patrol when the fix lies in one of the worker's grids inside a shift window."""
    from patrol.auth.models import User

    user = db.session.get(User, user_id)
    grid = (
        db.session.execute(
            select(Area).where(
                Area.id.in_(worker_grid_ids(user, local_date(fix))),
                text("ST_DWithin(area.geom::geography, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography, 50)"),
            ),
            {"lon": row[1], "lat": row[2]},
        )
        .scalars()
        .first()
    )
    if grid is None:
        return None
    _, in_window = shift_for(fix, effective_rules(grid.code))
    if not in_window:
        return None
    patrol_id = new_patrol_id("osmand", user_id, int(row[0]))
    return start_server_patrol(user, grid, fix, "osmand", patrol_id)


_SILENT = text("""
SELECT p.id FROM patrol p
WHERE p.source = 'osmand' AND p.ended_at IS NULL
  AND coalesce((SELECT max(t.fix_time) FROM track_point t
                WHERE t.patrol_id = p.id AND t.fix_time >= p.started_at - interval '12 hours'), p.started_at)
      < now() - make_interval(mins => :minutes)
""")


def close_silent_patrols():
    """Finish tracker patrols whose tracker has been silent too long (for a periodic job)."""
    from patrol.patrols.models import Patrol

    ids = db.session.execute(_SILENT, {"minutes": setting("PATROL_TRACKER_SILENCE_MIN")}).scalars().all()
    for patrol_id in ids:
        patrol = db.session.get(Patrol, patrol_id)
        last = db.session.execute(
            text("SELECT max(fix_time) FROM track_point WHERE patrol_id = :id"), {"id": patrol_id}
        ).scalar()
        patrol.ended_at = max(last or patrol.started_at, patrol.started_at)
    db.session.flush()
    queries.refresh_figures(ids)
    db.session.commit()
    return len(ids)
