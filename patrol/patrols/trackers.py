"""Native trackers: device keys (issue, rotate, revoke) and the OsmAnd/Traccar Client protocol."""

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

import qrcode
import qrcode.image.svg
from sqlalchemy import delete, func, select, text

from patrol.areas.models import GridAssignment
from patrol.audit import service as audit
from patrol.auth.models import User
from patrol.auth.scope import active_assignment_clause, require_role, visible_grid_ids
from patrol.errors import BadRequest
from patrol.extensions import db
from patrol.localtime import utcnow
from patrol.patrols import tracker_patrols
from patrol.patrols.models import TrackerDevice
from patrol.patrols.partitions import ensure_partitions
from patrol.patrols.points import PointColumns, insert_points
from patrol.patrols.settings import outside_fix_window, setting
from patrol.patrols.tracker_fix import malformed, parse_fix
from patrol.system.public_urls import public_base


def key_digest(key):
    return hashlib.sha256(key.encode()).hexdigest()


def server_url():
    """The OsmAnd endpoint as the tracker must be configured with it."""
    return public_base() + "/api/v1/osmand"


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


_DEVICE_SEEN = text("""
UPDATE tracker_device SET
    client = CASE WHEN last_fix_at IS NULL OR :fix >= last_fix_at THEN :client ELSE client END,
    battery = CASE WHEN last_fix_at IS NULL OR :fix >= last_fix_at THEN :battery ELSE battery END,
    charging = CASE WHEN last_fix_at IS NULL OR :fix >= last_fix_at THEN :charging ELSE charging END,
    last_fix_at = greatest(last_fix_at, :fix)
WHERE key_hash = :key_hash
RETURNING user_id
""")


def receive_fix(params, body):
    """Store one tracker fix in the patrol of its time (tracker_patrols), opening or merging patrols as needed."""
    key, row, meta = parse_fix(params, body)
    fix = datetime.fromtimestamp(row[0] / 1000, UTC)
    problem = outside_fix_window(fix, fix)
    if problem is not None:
        raise malformed(problem)
    seen = {"key_hash": key_digest(key), "fix": fix, "client": meta.client, "battery": meta.battery}
    user_id = db.session.execute(_DEVICE_SEEN, {**seen, "charging": meta.charging}).scalar()
    if user_id is None:
        db.session.rollback()
        raise BadRequest("patrol.unknown_device", {"id": ["unknown device"]})
    db.session.commit()  # the device status; and no transaction holds a lock a new partition waits for
    ensure_partitions(fix, fix)
    tracker_patrols.lock_worker(user_id)
    patrol, merged = tracker_patrols.patrol_for_fix(db.session.get(User, user_id), fix, row)
    if patrol is None:
        db.session.commit()
        return False  # outside the worker's grids or shift windows: nothing to record
    stored, _ = insert_points(patrol, PointColumns(*([value] for value in row)))
    tracker_patrols.settle(patrol, stored, merged)
    db.session.commit()
    return True


def close_silent_patrols():
    """Finish tracker patrols whose tracker has been silent longer than the silence gap (periodic upkeep)."""
    silence = timedelta(minutes=setting("PATROL_TRACKER_SILENCE_MIN"))
    ids = db.session.execute(_SILENT, {"silence": silence}).scalars().all()
    tracker_patrols.close_patrols(ids)
    db.session.commit()
    return len(ids)


_SILENT = text("""
SELECT p.id FROM patrol p
WHERE p.source = 'osmand' AND p.ended_at IS NULL
  AND coalesce((SELECT max(t.fix_time) FROM track_point t
                WHERE t.patrol_id = p.id AND t.fix_time >= p.started_at - interval '12 hours'), p.started_at)
      < now() - CAST(:silence AS interval)
""")


STATUS_ROLES = ("community_admin", "street_reviewer", "admin")


def device_status(user):
    """The trackers of the workers holding a grid in the caller's area today: last fix, battery, client."""
    require_role(user, *STATUS_ROLES)
    held = (
        select(GridAssignment.user_id, func.array_agg(GridAssignment.grid_id.distinct()).label("grid_ids"))
        .where(GridAssignment.grid_id.in_(visible_grid_ids(user)), active_assignment_clause())
        .group_by(GridAssignment.user_id)
        .subquery()
    )
    query = (
        select(
            User.id.label("worker_id"),
            User.username,
            User.full_name,
            held.c.grid_ids,
            TrackerDevice.issued_at,
            TrackerDevice.last_fix_at,
            TrackerDevice.battery,
            TrackerDevice.charging,
            TrackerDevice.client,
        )
        .join(TrackerDevice, TrackerDevice.user_id == User.id)
        .join(held, held.c.user_id == User.id)
        .where(User.role == "worker")
        .order_by(TrackerDevice.last_fix_at.asc().nullsfirst(), User.id)
    )
    return {"trackers": [dict(row) for row in db.session.execute(query).mappings()]}
