"""Fast batch ingest: quality flags in numpy, duplicates skipped under a per-patrol lock, binary COPY.

The flags agree with the one-statement insert in points.py (the fallback, used for anything unexpected).
"""

import logging
import struct
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import numpy as np
import psycopg
import shapely
from psycopg.rows import namedtuple_row
from sqlalchemy import text

from patrol.extensions import db
from patrol.patrols.models import FLAG_FAR_OUTSIDE, FLAG_LOW_ACCURACY, FLAG_SPEED_JUMP
from patrol.patrols.points import FLOAT4_MAX, FLOAT4_MIN, PointColumns, far_degrees, insert_points, metres_per_degree
from patrol.patrols.settings import setting

log = logging.getLogger(__name__)

_PATROL_LOCK = 7_246_004  # advisory lock class (two-key form): one batch at a time per patrol
_PG_EPOCH_S = 946_684_800.0  # 2000-01-01 in Unix seconds
_UNIX = datetime(1970, 1, 1, tzinfo=UTC)
_COPY = (
    "COPY track_point (patrol_id, fix_time, district_code, geom, accuracy, speed, heading, flag) "
    "FROM STDIN WITH (FORMAT binary)"
)
_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
_TRAILER = struct.pack(">h", -1)
_PATROL = (
    "SELECT p.id, p.grid_id, p.district_code, p.started_at, p.ended_at, ST_AsBinary(a.geom) AS grid_wkb, "
    "pg_advisory_xact_lock(%s, %s) AS locked FROM patrol p JOIN area a ON a.id = p.grid_id "
    "WHERE p.id = %s AND p.worker_id = %s"
)
_EXISTING = (
    "SELECT (extract(epoch FROM fix_time) * 1000000)::int8 FROM track_point "
    "WHERE patrol_id = %s AND fix_time >= %s AND fix_time <= %s"
)


def fix_time_us(t_ms):
    """Unix microseconds of the fix times exactly as PostgreSQL's to_timestamp(t / 1000.0) rounds them."""
    return (np.rint((t_ms / 1000.0 - _PG_EPOCH_S) * 1e6) + _PG_EPOCH_S * 1e6).astype(np.int64)


@lru_cache(maxsize=512)
def grid_shape(wkb):
    """The grid as a prepared shapely geometry (cached by its WKB, so an edited grid is a new entry)."""
    geometry = shapely.from_wkb(wkb)
    shapely.prepare(geometry)
    return geometry


def _near(grid, lon, lat, distance):
    """ST_DWithin(grid, point, distance) per fix; fixes on or in the grid need no distance computed."""
    near = shapely.intersects_xy(grid, lon, lat)
    rest = np.flatnonzero(~near)
    if len(rest):
        near[rest] = shapely.dwithin(grid, shapely.points(lon[rest], lat[rest]), distance)
    return near


def quality_flags(us, lon, lat, acc, grid_wkb):
    """Flags of each fix: 1 poor accuracy, 2 speed spike inside the batch, 4 far outside the grid."""
    max_speed = setting("PATROL_MAX_SPEED_MPS")
    with np.errstate(invalid="ignore"):
        poor = acc.astype(np.float32).astype(np.float64) > setting("PATROL_MAX_ACCURACY_M")
    flags = np.where(poor, FLAG_LOW_ACCURACY, 0)
    k = metres_per_degree(lat[0])
    order = np.argsort(us, kind="stable")
    if len(us) > 1:
        lon_s, lat_s = lon[order], lat[order]
        step = np.sqrt((np.diff(lon_s) * k["kx"]) ** 2 + (np.diff(lat_s) * k["ky"]) ** 2)
        speed = step / np.maximum(np.diff(us[order]) / 1e6, 1.0)
        fast = speed > max_speed
        spike = np.zeros(len(us), dtype=bool)
        spike[order[1:-1]] = fast[:-1] & fast[1:]
        flags |= np.where(spike, FLAG_SPEED_JUMP, 0)
    if grid_wkb is not None:
        flags |= np.where(_near(grid_shape(bytes(grid_wkb)), lon, lat, far_degrees(lat[0])), 0, FLAG_FAR_OUTSIDE)
    return flags.astype(np.int16)


def _first_of_each(us):
    """Mask of the first occurrence of each fix time in the batch."""
    _, first = np.unique(us, return_index=True)
    keep = np.zeros(len(us), dtype=bool)
    keep[first] = True
    return keep


def _as_float4(values):
    """float32 values and their null mask; None when a value is outside float4's normal range (the fallback
    stores those, or refuses them, exactly as before)."""
    null = np.isnan(values)
    finite = values[~null]
    size = np.abs(finite)
    if (size > FLOAT4_MAX).any() or ((size > 0) & (size < FLOAT4_MIN)).any():
        return None
    return values.astype(np.float32), null


def _row_type(district_len, present):
    """One binary COPY row: field count, then each field's length and value (a null is length -1 alone)."""
    fields = [("n", ">i2"), ("lu", ">i4"), ("id", "V16"), ("lt", ">i4"), ("t", ">i8"), ("ld", ">i4")]
    fields += [("d", f"S{district_len}"), ("lg", ">i4"), ("bo", "u1"), ("gt", "<u4"), ("srid", "<u4")]
    fields += [("x", "<f8"), ("y", "<f8")]  # the geometry as little-endian EWKB
    for n in range(3):
        fields += [(f"l{n}", ">i4")] + ([(f"v{n}", ">f4")] if n in present else [])
    return np.dtype([*fields, ("lf", ">i4"), ("f", ">i2")])


def copy_rows(patrol_id, district, us, lon, lat, nullable, flags):
    """The rows in PostgreSQL's binary COPY format (rows grouped by which optional values are null)."""
    district = district.encode()
    parts = [_HEADER]
    masks = np.stack([null for _, null in nullable], axis=1) @ np.array([1, 2, 4])
    for mask in np.unique(masks):
        rows = masks == mask
        present = [n for n in range(3) if not mask & (1 << n)]
        out = np.empty(int(rows.sum()), dtype=_row_type(len(district), present))
        out["n"], out["lu"], out["id"], out["lt"] = 8, 16, patrol_id.bytes, 8
        out["t"], out["ld"], out["d"] = us[rows] - int(_PG_EPOCH_S * 1e6), len(district), district
        out["lg"], out["bo"], out["gt"], out["srid"] = 25, 1, 0x20000001, 4326
        out["x"], out["y"] = lon[rows], lat[rows]
        for n in range(3):
            out[f"l{n}"] = 4 if n in present else -1
            if n in present:
                out[f"v{n}"] = nullable[n][0][rows]
        out["lf"], out["f"] = 2, flags[rows]
        parts.append(out.tobytes())
    parts.append(_TRAILER)
    return b"".join(parts)


def _driver_cursor(**kwargs):
    """A psycopg cursor on the session's connection, inside the session's transaction."""
    return db.session.connection().connection.driver_connection.cursor(**kwargs)


def patrol_for_batch(user_id, patrol_id):
    """The worker's own patrol with its grid as WKB, or None; takes the patrol's batch lock (held to commit)."""
    with _driver_cursor(row_factory=namedtuple_row) as cursor:
        cursor.execute(_PATROL, (_PATROL_LOCK, _lock_key(patrol_id), patrol_id, user_id))
        return cursor.fetchone()


def _lock_key(patrol_id):
    return int.from_bytes(patrol_id.bytes[:4], "big", signed=True)


def _read_existing(cursor, patrol_id, us):
    """Which of the batch's fix times are stored already (read under the batch lock)."""
    lo, hi = (_UNIX + timedelta(microseconds=int(v)) for v in (us.min(), us.max()))
    cursor.execute(_EXISTING, (patrol_id, lo, hi))
    return np.array([row[0] for row in cursor.fetchall()], dtype=np.int64)


def store_points(patrol, columns: PointColumns):
    """Store a validated batch; returns (stored, flagged). Re-sent fixes (same fix time) are skipped.

    `patrol` comes from patrol_for_batch in this transaction (so the batch lock is held); the caller commits.
    """
    t, lon, lat, acc, speed, heading = (np.ascontiguousarray(column) for column in columns.as_array().T)
    nullable = [_as_float4(acc), _as_float4(speed), _as_float4(heading)]
    if any(column is None for column in nullable):
        return _fallback(patrol, columns, "a value does not fit float4")
    us = fix_time_us(t)
    flags = quality_flags(us, lon, lat, acc, patrol.grid_wkb)
    keep = _first_of_each(us)
    try:
        with _driver_cursor() as cursor:
            existing = _read_existing(cursor, patrol.id, us)
            keep &= ~np.isin(us, existing)
            if not keep.any():
                return 0, 0
            new = [(values[keep], null[keep]) for values, null in nullable]
            data = copy_rows(patrol.id, patrol.district_code, us[keep], lon[keep], lat[keep], new, flags[keep])
            with cursor.copy(_COPY) as copy:
                copy.write(data)
    except (psycopg.errors.IntegrityError, psycopg.errors.DataError) as exc:
        db.session.rollback()  # nothing else was written in this transaction
        return _fallback(patrol, columns, type(exc).__name__)
    return int(keep.sum()), int(np.count_nonzero(flags[keep]))


def _fallback(patrol, columns, reason):
    log.warning("points: COPY path not used (%s); one-statement insert instead", reason)
    db.session.execute(text("SET LOCAL jit = off"))  # PostGIS costs make JIT compile slower than the insert
    return insert_points(patrol, columns)
