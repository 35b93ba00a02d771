"""GPX import: timed track segments become patrols, the way the recording client meant them.

- The segments of one <trk> are one patrol (a pause is a gap, never bridged: a break in time longer than
  PATROL_GAP_S splits the track as for any fixes), unless they fall in different shifts or days.
- Separate <trk> elements are separate patrols only when they are more than the tracker silence gap
  (PATROL_TRACKER_SILENCE_MIN) apart or in different shifts, days or grids; otherwise one patrol.
- Untimed segments and routes (<rte>, planned, never walked) are skipped with a reason in `skipped`;
  the timed tracks still import. Waypoints are ignored.
- Fix times outside the accepted window (settings.fix_window) skip their patrol before any partition is made.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime

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
from patrol.patrols.settings import outside_fix_window, setting

MAX_GPX_POINTS = 100_000


@dataclass
class Segment:
    """One timed track segment, placed in a grid and shift."""

    label: str
    track: int
    rows: list
    grid: Area | None = None
    shift: str | None = None

    @property
    def start(self):
        return self.rows[0][0]

    @property
    def end(self):
        return self.rows[-1][0]


@dataclass
class Group:
    """Segments that make one patrol."""

    segments: list = field(default_factory=list)

    @property
    def rows(self):
        return sorted(row for segment in self.segments for row in segment.rows)


def _parse(data):
    try:
        return gpxpy.parse(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, gpxpy.gpx.GPXException, ValueError) as exc:
        raise Invalid("patrol.invalid_gpx_file", {"file": [str(exc)[:200]]}) from None


def _segments(gpx, skipped):
    """Timed segments in time order; untimed segments and all routes go to `skipped`."""
    found, total = [], 0
    for t, track in enumerate(gpx.tracks):
        for s, segment in enumerate(track.segments):
            if not segment.points:
                continue
            if any(point.time is None for point in segment.points):
                skipped.append({"segment": f"{t}.{s}", "reason": "untimed"})
                continue
            rows = [[_ms(point.time), point.longitude, point.latitude, None, None, None] for point in segment.points]
            total += len(rows)
            found.append(Segment(f"{t}.{s}", t, sorted(rows)))
    for r, route in enumerate(gpx.routes):
        timed = route.points and all(point.time is not None for point in route.points)
        skipped.append({"route": str(r), "reason": "route" if timed else "untimed"})  # a plan, not a walk
    if total > MAX_GPX_POINTS:
        raise Invalid(
            "patrol.too_many_gpx_points",
            {"file": [messages.text("field.too_many_points")]},
            max_gpx_points=MAX_GPX_POINTS,
        )
    return sorted(found, key=lambda segment: segment.start)


def _ms(moment):
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return round(moment.timestamp() * 1000)


def _grid_for(user, rows, day):
    lon, lat = rows[len(rows) // 2][1], rows[len(rows) // 2][2]
    return db.session.execute(
        select(Area)
        .where(Area.id.in_(worker_grid_ids(user, day)))
        .order_by(text("ST_Distance(area.geom::geography, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography)"))
        .limit(1),
        {"lon": lon, "lat": lat},
    ).scalar_one_or_none()


def _place(user, segment):
    """The segment's grid and shift, or the reason it cannot be a patrol."""
    start = _moment(segment.start)
    segment.grid = _grid_for(user, segment.rows, local_date(start))
    if segment.grid is None:
        return "no_assigned_grid"
    segment.shift, in_window = shift_for(start, effective_rules(segment.grid.code))
    return None if in_window else "outside_shift_windows"


def _moment(t_ms):
    return datetime.fromtimestamp(t_ms / 1000, UTC)


def _group(segments):
    """Consecutive segments of one grid, day and shift make one patrol when they share a track or lie within
    the silence gap of each other."""
    silence_ms = setting("PATROL_TRACKER_SILENCE_MIN") * 60_000
    groups = []
    for segment in segments:
        last = groups[-1].segments[-1] if groups else None
        if last is not None and _same_patrol(last, segment, groups[-1], silence_ms):
            groups[-1].segments.append(segment)
        else:
            groups.append(Group([segment]))
    return groups


def _same_patrol(last, segment, group, silence_ms):
    same_place = (last.grid.id, last.shift, local_date(_moment(last.start))) == (
        segment.grid.id,
        segment.shift,
        local_date(_moment(segment.start)),
    )
    close = segment.start - max(part.end for part in group.segments) <= silence_ms
    return same_place and (last.track == segment.track or close)


def import_gpx(user, data):
    """Turn the timed tracks into patrols; importing the same file again changes nothing."""
    require_role(user, "worker")
    skipped = []
    segments = _segments(_parse(data), skipped)
    if not segments:
        raise Invalid("patrol.gpx_file_holds_no", {"file": ["no timed track"]})
    placed = []
    for segment in segments:
        reason = _place(user, segment)
        if reason is None:
            placed.append(segment)
        else:
            skipped.append({"segment": segment.label, "reason": reason})
    patrols = []
    for group in _group(placed):
        labels = ",".join(segment.label for segment in group.segments)
        try:
            columns = parse_points(group.rows, MAX_GPX_POINTS)
        except ValidationError as exc:
            raise Invalid("patrol.invalid_gpx_points", {"file": {labels: exc.messages}}) from None
        if outside_fix_window(columns.first_time(), columns.last_time()) is not None:
            skipped.append({"segment": labels, "reason": "outside_fix_window"})
            continue
        starts = [segment.start for segment in group.segments[1:]]
        patrols.append(_import_group(user, group.segments[0].grid, columns, starts))
    db.session.commit()
    return {"patrols": patrols, "skipped": skipped}


_SEGMENT_STARTS = text(
    "UPDATE track_point SET seg_start = true WHERE patrol_id = :id AND fix_time = ANY(:starts) AND NOT seg_start"
)


def _import_group(user, grid, columns, segment_starts):
    started_at, ended_at = columns.first_time(), columns.last_time()
    patrol_id = new_patrol_id("gpx", user.id, columns.t_ms[0])
    patrol = db.session.get(Patrol, patrol_id)
    if patrol is None:
        patrol = start_server_patrol(user, grid, started_at, "gpx", patrol_id)
    db.session.commit()
    ensure_partitions(started_at, ended_at)
    insert_points(patrol, columns)
    if segment_starts:
        starts = [datetime.fromtimestamp(t / 1000, UTC) for t in segment_starts]
        db.session.execute(_SEGMENT_STARTS, {"id": patrol.id, "starts": starts})
    if patrol.ended_at is None:
        patrol.ended_at = ended_at
    db.session.flush()
    queries.refresh_figures([patrol.id])
    db.session.flush()
    db.session.refresh(patrol)
    return patrol
