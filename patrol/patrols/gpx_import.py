"""GPX import: one patrol per track segment that falls in a shift inside one of the worker's grids."""

from datetime import UTC

import gpxpy
import gpxpy.gpx
from marshmallow import ValidationError
from sqlalchemy import select, text

from patrol import messages
from patrol.areas.models import Area
from patrol.auth.scope import require_role, worker_grid_ids
from patrol.errors import Invalid
from patrol.extensions import db
from patrol.localtime import local_date
from patrol.patrols import queries
from patrol.patrols.models import Patrol
from patrol.patrols.partitions import ensure_partitions
from patrol.patrols.points import insert_points, parse_points
from patrol.patrols.rules import effective_rules, shift_for
from patrol.patrols.service import new_patrol_id, start_server_patrol

MAX_GPX_POINTS = 100_000


def _parse(data):
    try:
        return gpxpy.parse(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, gpxpy.gpx.GPXException, ValueError) as exc:
        raise Invalid("patrol.invalid_gpx_file", {"file": [str(exc)[:200]]}) from None


def _segments(gpx):
    found = []
    total = 0
    for t, track in enumerate(gpx.tracks):
        for s, segment in enumerate(track.segments):
            rows = []
            for point in segment.points:
                if point.time is None:
                    raise Invalid("patrol.gpx_point_without_time", {"file": [f"track {t} segment {s}"]})
                moment = point.time if point.time.tzinfo else point.time.replace(tzinfo=UTC)
                rows.append([round(moment.timestamp() * 1000), point.longitude, point.latitude, None, None, None])
            total += len(rows)
            if rows:
                found.append((f"{t}.{s}", rows))
    if total > MAX_GPX_POINTS:
        raise Invalid(
            "patrol.too_many_gpx_points",
            {"file": [messages.text("field.too_many_points")]},
            max_gpx_points=MAX_GPX_POINTS,
        )
    return found


def _grid_for(user, rows, day):
    lon, lat = rows[len(rows) // 2][1], rows[len(rows) // 2][2]
    return db.session.execute(
        select(Area)
        .where(Area.id.in_(worker_grid_ids(user, day)))
        .order_by(text("ST_Distance(area.geom::geography, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography)"))
        .limit(1),
        {"lon": lon, "lat": lat},
    ).scalar_one_or_none()


def import_gpx(user, data):
    """Turn each timed track segment into a patrol; importing the same file again changes nothing."""
    require_role(user, "worker")
    segments = _segments(_parse(data))
    if not segments:
        raise Invalid("patrol.gpx_without_track", {"file": [messages.text("field.no_track_points")]})
    parsed = []
    for label, rows in segments:
        try:
            parsed.append((label, parse_points(sorted(rows), MAX_GPX_POINTS)))
        except ValidationError as exc:
            raise Invalid("patrol.invalid_gpx_points", {"file": {label: exc.messages}}) from None
    patrols, skipped = [], []
    for label, columns in parsed:
        patrol, reason = _import_segment(user, columns)
        if patrol is None:
            skipped.append({"segment": label, "reason": reason})
        else:
            patrols.append(patrol)
    db.session.commit()
    return {"patrols": patrols, "skipped": skipped}


def _import_segment(user, columns):
    started_at, ended_at = columns.first_time(), columns.last_time()
    grid = _grid_for(user, list(zip(columns.t_ms, columns.lon, columns.lat, strict=True)), local_date(started_at))
    if grid is None:
        return None, "no_assigned_grid"
    _, in_window = shift_for(started_at, effective_rules(grid.code))
    if not in_window:
        return None, "outside_shift_windows"
    patrol_id = new_patrol_id("gpx", user.id, columns.t_ms[0])
    patrol = db.session.get(Patrol, patrol_id)
    if patrol is None:
        patrol = start_server_patrol(user, grid, started_at, "gpx", patrol_id)
    db.session.commit()
    ensure_partitions(started_at, ended_at)
    insert_points(patrol, columns)
    if patrol.ended_at is None:
        patrol.ended_at = ended_at
    db.session.flush()
    queries.refresh_figures([patrol.id])
    db.session.flush()
    db.session.refresh(patrol)
    return patrol, None
