"""Patrols: start, points, finish, reading in scope, GPX export."""

import uuid
from datetime import timedelta

import gpxpy.gpx
from marshmallow import ValidationError
from sqlalchemy import literal, select
from sqlalchemy.exc import IntegrityError

from patrol import messages
from patrol.areas.models import Area
from patrol.auth import roles
from patrol.auth.scope import require_role, require_track_reader, visible_grid_ids, worker_grid_ids
from patrol.errors import Forbidden, Invalid, NotFound, replay_or_conflict
from patrol.extensions import db
from patrol.localtime import local_date, utcnow
from patrol.patrols import queries
from patrol.patrols.ingest import patrol_for_batch, store_points
from patrol.patrols.models import Patrol
from patrol.patrols.partitions import ensure_partitions
from patrol.patrols.points import PointColumns, parse_points
from patrol.patrols.rules import effective_rules, shift_for
from patrol.patrols.settings import outside_fix_window, setting

OPEN_FIGURES_MAX_AGE = timedelta(seconds=15)


def fix_time_refused(first, last, field="points"):
    """422 when fix times from `first` to `last` fall outside the accepted window (settings.fix_window)."""
    problem = outside_fix_window(first, last)
    if problem is not None:
        raise Invalid("patrol.fix_time_outside_accepted", {field: [problem]})


def holds_grid(user, grid_id, day):
    """True when the worker is assigned the grid on that local day."""
    return bool(db.session.execute(select(literal(grid_id).in_(worker_grid_ids(user, day)))).scalar())


def _check_start_time(started_at):
    if outside_fix_window(started_at, started_at) is not None:
        raise Invalid("patrol.start_time_too_far", {"started_at": ["out of range"]})


def start_patrol(user, patrol_id, grid_id, started_at, source="pwa"):
    """Start a patrol with the client's UUID; a replay returns the same patrol. Returns (patrol, created)."""
    require_role(user, *roles.ONLY_WORKER)
    existing = db.session.get(Patrol, patrol_id)
    if existing is not None:
        return _replayed(user, existing, grid_id), False
    _check_start_time(started_at)
    day = local_date(started_at)
    if not holds_grid(user, grid_id, day):
        raise Forbidden("patrol.grid_not_assigned", {"grid_id": grid_id})
    grid = db.session.get(Area, grid_id)
    shift, _ = shift_for(started_at, effective_rules(grid.code))
    patrol = Patrol(
        id=patrol_id,
        worker_id=user.id,
        grid_id=grid.id,
        district_code=grid.district_code,
        local_date=day,
        shift=shift,
        source=source,
        started_at=started_at,
    )
    db.session.add(patrol)
    try:
        db.session.commit()
    except IntegrityError:  # the same UUID raced in from a parallel replay
        db.session.rollback()
        return _replayed(user, db.session.get(Patrol, patrol_id), grid_id), False
    return patrol, True


def _replayed(user, patrol, grid_id):
    same = patrol.worker_id == user.id and patrol.grid_id == grid_id
    message = messages.text("patrol.patrol_id_already_used")
    return replay_or_conflict(patrol, same, message, {"id": str(patrol.id)})


def own_patrol(user, patrol_id, lock=False):
    """The caller's own patrol (workers write only their own); 404 otherwise."""
    query = select(Patrol).where(Patrol.id == patrol_id, Patrol.worker_id == user.id)
    if lock:
        query = query.with_for_update()
    patrol = db.session.execute(query).scalar_one_or_none()
    if patrol is None:
        raise NotFound("patrol.no_such_patrol")
    return patrol


def _check_fix_times(patrol, columns: PointColumns):
    first, last = columns.first_time(), columns.last_time()
    earliest = patrol.started_at - timedelta(hours=setting("PATROL_MAX_FIX_BEFORE_START_H"))
    if first < earliest:
        raise Invalid("patrol.fixes_long_before_patrol", {"points": ["fix time"]})
    fix_time_refused(first, last)
    return first, last


def add_points(user, patrol_id, points):
    """Store a batch of fixes; re-sent fixes are skipped. Late fixes after finish recompute the figures."""
    if not isinstance(points, PointColumns):
        try:
            points = parse_points(points, setting("PATROL_MAX_POINTS"))
        except ValidationError as exc:
            raise Invalid("patrol.invalid_points", {"points": exc.messages}) from None
    patrol = patrol_for_batch(user.id, patrol_id)
    if patrol is None:
        raise NotFound("patrol.no_such_patrol")
    first, last = _check_fix_times(patrol, points)
    # This transaction has not touched track_point, so it holds no lock that creating a partition waits for.
    ensure_partitions(first, last)
    stored, flagged = store_points(patrol, points)
    if stored and patrol.ended_at is not None:
        queries.refresh_figures([patrol.id])
    db.session.commit()
    return {"received": len(points), "stored": stored, "duplicates": len(points) - stored, "flagged": flagged}


def finish_patrol(user, patrol_id, ended_at):
    """Finish a patrol and compute its figures; finishing again changes nothing. Returns (patrol, changed)."""
    patrol = own_patrol(user, patrol_id, lock=True)
    if patrol.ended_at is not None:
        db.session.commit()
        return patrol, False
    if ended_at < patrol.started_at or outside_fix_window(ended_at, ended_at) is not None:
        raise Invalid("patrol.end_time_before_start", {"ended_at": ["out of range"]})
    patrol.ended_at = ended_at
    db.session.flush()
    queries.refresh_figures([patrol.id])
    db.session.commit()
    db.session.refresh(patrol)
    return patrol, True


def _scope(user, query):
    require_track_reader(user)
    if user.role == "worker":
        return query.where(Patrol.worker_id == user.id)
    return query.where(Patrol.grid_id.in_(visible_grid_ids(user)))


def list_patrols(user, grid_id=None, worker_id=None, date=None, limit=500):
    """Patrols in the caller's scope, newest first."""
    query = _scope(user, select(Patrol)).order_by(Patrol.started_at.desc()).limit(limit)
    if grid_id is not None:
        query = query.where(Patrol.grid_id == grid_id)
    if worker_id is not None:
        query = query.where(Patrol.worker_id == worker_id)
    if date is not None:
        query = query.where(Patrol.local_date == date)
    return _up_to_date(db.session.execute(query).scalars().all())


def _up_to_date(patrols):
    """Open tracker patrols get their figures from the fixes so far (trackers store fixes without recomputing);
    figures computed less than OPEN_FIGURES_MAX_AGE ago are kept, so busy readers cost little."""
    stale = utcnow() - OPEN_FIGURES_MAX_AGE
    due = [p for p in patrols if _open_tracker(p) and (p.computed_at is None or p.computed_at < stale)]
    if due:
        queries.refresh_figures([patrol.id for patrol in due])
        db.session.commit()
        for patrol in due:
            db.session.refresh(patrol)
    return patrols


def _open_tracker(patrol):
    return patrol.ended_at is None and patrol.source == "osmand"


def get_patrol(user, patrol_id):
    """One patrol in the caller's scope; 404 otherwise."""
    patrol = db.session.execute(_scope(user, select(Patrol).where(Patrol.id == patrol_id))).scalar_one_or_none()
    if patrol is None:
        raise NotFound("patrol.no_such_patrol")
    return _up_to_date([patrol])[0]


def patrol_gpx(user, patrol_id):
    """The patrol's clean track as GPX 1.1 text, one track segment per unbroken stretch."""
    patrol = get_patrol(user, patrol_id)
    gpx = gpxpy.gpx.GPX()
    gpx.creator = "GridPatrol"
    track = gpxpy.gpx.GPXTrack(name=f"{patrol.local_date} {patrol.shift}")
    gpx.tracks.append(track)
    segments = {}
    for row in queries.clean_points(patrol.id):
        segment = segments.get(row.seg_no)
        if segment is None:
            segment = segments[row.seg_no] = gpxpy.gpx.GPXTrackSegment()
            track.segments.append(segment)
        segment.points.append(gpxpy.gpx.GPXTrackPoint(row.lat, row.lon, time=row.fix_time, horizontal_dilution=None))
    return patrol, gpx.to_xml(version="1.1")


def new_patrol_id(*parts):
    """A deterministic UUID for server-made patrols (tracker, GPX), so a replay finds the same one."""
    return uuid.uuid5(uuid.NAMESPACE_URL, "gridpatrol:" + ":".join(str(p) for p in parts))


def start_server_patrol(user, grid, started_at, source, patrol_id):
    """A patrol opened by the server for a tracker or a GPX import (not committed)."""
    shift, _ = shift_for(started_at, effective_rules(grid.code))
    patrol = Patrol(
        id=patrol_id,
        worker_id=user.id,
        grid_id=grid.id,
        district_code=grid.district_code,
        local_date=local_date(started_at),
        shift=shift,
        source=source,
        started_at=started_at,
    )
    db.session.add(patrol)
    db.session.flush()
    return patrol
