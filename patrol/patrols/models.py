"""Patrol, track point (range-partitioned by fix time), compliance rules and tracker device keys."""

import uuid
from datetime import date, datetime, time

from geoalchemy2 import Geometry
from sqlalchemy import (
    REAL,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Time,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from patrol.extensions import db

SHIFTS = ("am", "pm")
SOURCES = ("pwa", "osmand", "gpx")

# Track point quality flags (bits); a clean point has flag 0.
FLAG_LOW_ACCURACY = 1
FLAG_SPEED_JUMP = 2
FLAG_FAR_OUTSIDE = 4


class Patrol(db.Model):
    """One walk of one grid in one shift; the figures are derived from its clean track points."""

    __tablename__ = "patrol"
    __table_args__ = (
        CheckConstraint("shift IN ('am', 'pm')", name="patrol_shift"),
        CheckConstraint("source IN ('pwa', 'osmand', 'gpx')", name="patrol_source"),
        CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="patrol_times"),
        Index("ix_patrol_grid_day", "grid_id", "local_date", "shift"),
        Index("ix_patrol_worker_day", "worker_id", "local_date"),
        Index("ix_patrol_district_day", "district_code", "local_date"),
        Index("ix_patrol_updated_at", "updated_at"),
        Index("ix_patrol_open_tracker", "worker_id", "started_at", postgresql_where="ended_at IS NULL"),
        # The few patrols that do not count, for the miss reasons of the compliance statistics.
        Index("ix_patrol_misses", "local_date", "grid_id", postgresql_where="valid IS NOT TRUE"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="RESTRICT"))
    grid_id: Mapped[int] = mapped_column(ForeignKey("area.id", ondelete="RESTRICT"))
    district_code: Mapped[str] = mapped_column(String(6))
    local_date: Mapped[date] = mapped_column(Date)
    shift: Mapped[str] = mapped_column(String(2))
    source: Mapped[str] = mapped_column(String(8))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    track = mapped_column(Geometry("MULTILINESTRING", srid=4326, spatial_index=False), nullable=True)
    point_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    clean_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    distance_m: Mapped[float | None] = mapped_column(Float)
    duration_s: Mapped[int | None] = mapped_column(Integer)
    moving_s: Mapped[int | None] = mapped_column(Integer)
    inside_share: Mapped[float | None] = mapped_column(Float)
    coverage: Mapped[float | None] = mapped_column(Float)
    valid: Mapped[bool | None] = mapped_column()
    invalid_reasons: Mapped[list[str] | None] = mapped_column(ARRAY(String(32)))
    computed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class TrackPoint(db.Model):
    """A GPS fix; the table is partitioned by month of fix time (see partitions.py)."""

    __tablename__ = "track_point"
    __table_args__ = (
        PrimaryKeyConstraint("patrol_id", "fix_time", name="track_point_pkey"),
        {"postgresql_partition_by": "RANGE (fix_time)"},
    )

    patrol_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    fix_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    district_code: Mapped[str] = mapped_column(String(6))
    geom = mapped_column(Geometry("POINT", srid=4326, spatial_index=False), nullable=False)
    accuracy: Mapped[float | None] = mapped_column(REAL)
    speed: Mapped[float | None] = mapped_column(REAL)
    heading: Mapped[float | None] = mapped_column(REAL)
    flag: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    # The first fix of a recorded segment after a pause (GPX <trkseg>): the track is never bridged into it.
    seg_start: Mapped[bool] = mapped_column(default=False, server_default="false")


class PatrolRule(db.Model):
    """Compliance rules of a street, or a community's overrides (null = inherit)."""

    __tablename__ = "patrol_rule"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id", ondelete="CASCADE"), unique=True)
    area_code: Mapped[str] = mapped_column(String(15), unique=True)
    am_start: Mapped[time | None] = mapped_column(Time)
    am_end: Mapped[time | None] = mapped_column(Time)
    pm_start: Mapped[time | None] = mapped_column(Time)
    pm_end: Mapped[time | None] = mapped_column(Time)
    min_duration_min: Mapped[int | None] = mapped_column(Integer)
    min_inside_share: Mapped[float | None] = mapped_column(Float)
    min_coverage: Mapped[float | None] = mapped_column(Float)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now(), index=True
    )


class TrackerDevice(db.Model):
    """A worker's key for a native tracker (OsmAnd/Traccar Client); only its SHA-256 is stored."""

    __tablename__ = "tracker_device"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_fix_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # latest fix time heard
    battery: Mapped[float | None] = mapped_column(REAL)  # percent, as the latest fix reported it
    charging: Mapped[bool | None] = mapped_column()
    client: Mapped[str | None] = mapped_column(String(16))  # osmand, traccar or traccar-json
