"""Point batches: fast validation into columns, and the one-statement insert with quality flags."""

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import chain

import numpy as np
from marshmallow import ValidationError
from sqlalchemy import text

from patrol.extensions import db
from patrol.geo import CHINA_BBOX
from patrol.patrols.settings import setting

_NUMBER = (int, float)
# The normal range of a PostgreSQL real (float4) column; values beyond it are refused or take the slow path.
FLOAT4_MAX, FLOAT4_MIN = 3.4028234e38, 1.1754944e-38


@dataclass
class PointColumns:
    """A validated batch as parallel columns (fix time in epoch milliseconds)."""

    t_ms: list
    lon: list
    lat: list
    accuracy: list
    speed: list
    heading: list
    table: np.ndarray | None = field(default=None, repr=False, compare=False)  # the same rows, when at hand

    def __len__(self):
        return len(self.t_ms)

    def first_time(self):
        return datetime.fromtimestamp(min(self.t_ms) / 1000, UTC)

    def last_time(self):
        return datetime.fromtimestamp(max(self.t_ms) / 1000, UTC)

    def as_array(self):
        """The batch as an (n, 6) float64 array; null is NaN."""
        if self.table is None:
            columns = (self.t_ms, self.lon, self.lat, self.accuracy, self.speed, self.heading)
            self.table = np.array(columns, dtype=np.float64).T
        return self.table


def _problem(row):
    """Why one [t_ms, lon, lat, accuracy, speed, heading] row is refused, or None."""
    if type(row) is not list or not 4 <= len(row) <= 6:
        return "must be [fix_time_ms, lon, lat, accuracy_m, speed_mps|null, heading_deg|null]"
    t, lon, lat, acc = row[0], row[1], row[2], row[3]
    for value in row[:3]:
        if type(value) not in _NUMBER or not math.isfinite(value):
            return "fix time, longitude and latitude must be finite numbers"
    if not (1e12 <= t < 1e13):
        return "fix time must be Unix epoch milliseconds"
    if lon == 0 and lat == 0:
        return "(0, 0) is not a position"
    if not (CHINA_BBOX[0] <= lon <= CHINA_BBOX[2] and CHINA_BBOX[1] <= lat <= CHINA_BBOX[3]):
        return "position is outside China"
    if acc is not None and (type(acc) not in _NUMBER or not math.isfinite(acc) or acc < 0):
        return "accuracy must be a non-negative number or null"
    if len(row) > 4 and row[4] is not None:
        speed = row[4]
        if type(speed) not in _NUMBER or not math.isfinite(speed) or speed < 0:
            return "speed must be a non-negative number or null"
    if len(row) > 5 and row[5] is not None:
        heading = row[5]
        if type(heading) not in _NUMBER or not math.isfinite(heading) or not 0 <= heading <= 360:
            return "heading must be 0–360 or null"
    return None


_ALLOWED = {int, float, type(None)}


def parse_points(rows, limit):
    """Validate a list of point rows into PointColumns; ValidationError names the bad rows."""
    if type(rows) is not list:
        raise ValidationError("points must be a list")
    if not rows:
        raise ValidationError("points must not be empty")
    if len(rows) > limit:
        raise ValidationError(f"at most {limit} points per request, got {len(rows)}")
    # Fast path: one C-level pass over the types, then numpy checks on whole columns.
    simple = set(map(type, rows)) == {list} and set(map(len, rows)) == {6}
    if simple and set(map(type, chain.from_iterable(rows))) <= _ALLOWED:
        table = np.array(rows, dtype=np.float64)
        if not _bad_rows(table).any():
            t, lon, lat, acc, speed, heading = table.T
            columns = (t.tolist(), lon.tolist(), lat.tolist(), acc.tolist(), speed.tolist(), heading.tolist())
            return PointColumns(*columns, table=table)
    problems = {}
    for index, row in enumerate(rows):
        problem = _problem(row)
        if problem is not None:
            problems[index] = [problem]
            if len(problems) >= 20:
                break
    if problems:
        raise ValidationError(problems)
    padded = (row if len(row) == 6 else [*row, None, None][:6] for row in rows)
    t_ms, lon, lat, accuracy, speed, heading = (list(col) for col in zip(*padded, strict=True))
    return PointColumns(t_ms, lon, lat, accuracy, speed, heading)


def _bad_rows(table):
    """Rows a whole-column check refuses (None is NaN here; NaN is allowed only where null is)."""
    t, lon, lat, acc, speed, heading = table.T
    with np.errstate(invalid="ignore"):
        return (
            ~np.isfinite(t)
            | (t < 1e12)
            | (t >= 1e13)
            | ~np.isfinite(lon)
            | ~np.isfinite(lat)
            | ((lon == 0) & (lat == 0))
            | (lon < CHINA_BBOX[0])
            | (lon > CHINA_BBOX[2])
            | (lat < CHINA_BBOX[1])
            | (lat > CHINA_BBOX[3])
            | np.isinf(acc)
            | (acc < 0)
            | np.isinf(speed)
            | (speed < 0)
            | np.isinf(heading)
            | (heading < 0)
            | (heading > 360)
        )


# Static flags are set here; the speed-jump flag is set for spikes inside the batch and
# re-derived over the whole track whenever the figures are computed (queries.refresh_figures).
_INSERT = text("""
WITH grid AS (SELECT geom FROM area WHERE id = :grid_id),
incoming AS (
    SELECT to_timestamp(t / 1000.0) AS fix_time, lon, lat, ST_SetSRID(ST_MakePoint(lon, lat), 4326) AS geom,
           nullif(acc, 'NaN') AS acc, nullif(spd, 'NaN') AS spd, nullif(hdg, 'NaN') AS hdg
    FROM unnest(CAST(:t AS float8[]), CAST(:lon AS float8[]), CAST(:lat AS float8[]),
                CAST(:acc AS float4[]), CAST(:spd AS float4[]), CAST(:hdg AS float4[])) AS u(t, lon, lat, acc, spd, hdg)
), stepped AS (
    SELECT i.*,
           sqrt(((i.lon - lag(i.lon) OVER w) * :kx) ^ 2 + ((i.lat - lag(i.lat) OVER w) * :ky) ^ 2)
             / greatest(extract(epoch FROM i.fix_time - lag(i.fix_time) OVER w), 1) AS v_in,
           sqrt(((lead(i.lon) OVER w - i.lon) * :kx) ^ 2 + ((lead(i.lat) OVER w - i.lat) * :ky) ^ 2)
             / greatest(extract(epoch FROM lead(i.fix_time) OVER w - i.fix_time), 1) AS v_out
    FROM incoming i
    WINDOW w AS (ORDER BY i.fix_time)
), inserted AS (
    INSERT INTO track_point (patrol_id, fix_time, district_code, geom, accuracy, speed, heading, flag)
    SELECT :patrol_id, s.fix_time, :district, s.geom, s.acc, s.spd, s.hdg,
           (CASE WHEN s.acc > :max_acc THEN 1 ELSE 0 END)
         | (CASE WHEN s.v_in > :max_speed AND s.v_out > :max_speed THEN 2 ELSE 0 END)
         | (CASE WHEN NOT ST_DWithin(g.geom, s.geom, :far_deg) THEN 4 ELSE 0 END)
    FROM stepped s CROSS JOIN grid g
    ON CONFLICT DO NOTHING
    RETURNING flag
)
SELECT count(*) AS stored, count(*) FILTER (WHERE flag <> 0) AS flagged FROM inserted
""")


def far_degrees(lat):
    """The far-outside distance in degrees of longitude at a latitude (generous in latitude)."""
    return setting("PATROL_FAR_OUTSIDE_M") / (111_320.0 * math.cos(math.radians(lat)))


def metres_per_degree(lat):
    """WGS-84 metres per degree of longitude (kx) and latitude (ky) at a latitude."""
    e2 = 0.0066943799901
    w = 1 - e2 * math.sin(math.radians(lat)) ** 2
    return {
        "kx": math.radians(1) * 6378137 * math.cos(math.radians(lat)) / math.sqrt(w),
        "ky": math.radians(1) * 6335439.327 / w**1.5,
    }


def insert_points(patrol, columns: PointColumns):
    """Insert a validated batch into the patrol's track; returns (stored, flagged). Duplicates are skipped."""
    row = db.session.execute(
        _INSERT,
        {
            "grid_id": patrol.grid_id,
            "patrol_id": patrol.id,
            "district": patrol.district_code,
            "t": columns.t_ms,
            "lon": columns.lon,
            "lat": columns.lat,
            "acc": columns.accuracy,
            "spd": columns.speed,
            "hdg": columns.heading,
            "max_acc": setting("PATROL_MAX_ACCURACY_M"),
            "max_speed": setting("PATROL_MAX_SPEED_MPS"),
            "far_deg": far_degrees(columns.lat[0]),
            **metres_per_degree(columns.lat[0]),
        },
    ).one()
    return row.stored, row.flagged
