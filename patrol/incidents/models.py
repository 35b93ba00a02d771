"""Incidents, their append-only history, categories, departments and the holiday calendar."""

import uuid
from datetime import date, datetime

from geoalchemy2 import Geometry
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from patrol.extensions import db

STATUSES = ("reported", "accepted", "rejected", "dispatched", "in_progress", "resolved", "closed")
OPEN_STATUSES = ("reported", "accepted", "dispatched", "in_progress", "resolved")
SOURCES = ("patrol", "visit", "resident", "assigned")  # what a reporter may name
ALL_SOURCES = (*SOURCES, "upstream")  # upstream: a work order from an Open311 client (12345 hotline)
DEADLINE_UNITS = ("hours", "workdays")


class Department(db.Model):
    """A department of a street that handles dispatched cases (城管, 消防, 派出所, …); no street: city-wide."""

    __tablename__ = "incident_department"
    __table_args__ = (
        UniqueConstraint("street_id", "code", name="uq_department_street_code"),
        Index("uq_department_citywide_code", "code", unique=True, postgresql_where=text("street_id IS NULL")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    street_id: Mapped[int | None] = mapped_column(ForeignKey("area.id", ondelete="RESTRICT"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(40))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class Category(db.Model):
    """Two-level category (大类/小类); the default department is named by its code within a street."""

    __tablename__ = "incident_category"
    __table_args__ = (
        CheckConstraint("deadline_unit IN ('hours', 'workdays')", name="category_deadline_unit"),
        CheckConstraint("deadline_value > 0", name="category_deadline_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(10), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("incident_category.id", ondelete="RESTRICT"), index=True)
    department_code: Mapped[str | None] = mapped_column(String(40))
    deadline_value: Mapped[int] = mapped_column(Integer, default=3)
    deadline_unit: Mapped[str] = mapped_column(String(10), default="workdays")
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    sort: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now(), index=True
    )

    parent: Mapped["Category | None"] = relationship(remote_side=[id])


class Holiday(db.Model):
    """A calendar exception: a public holiday (is_workday false) or a weekend working day (调休, true)."""

    __tablename__ = "incident_holiday"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    is_workday: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")


class Incident(db.Model):
    __tablename__ = "incident"
    __table_args__ = (
        CheckConstraint(
            "status IN ('reported', 'accepted', 'rejected', 'dispatched', 'in_progress', 'resolved', 'closed')",
            name="incident_status",
        ),
        CheckConstraint("source IN ('patrol', 'visit', 'resident', 'assigned', 'upstream')", name="incident_source"),
        Index("ix_incident_location", "location", postgresql_using="gist"),
        Index("ix_incident_grid_code", "grid_code", postgresql_ops={"grid_code": "text_pattern_ops"}),
        Index("ix_incident_reported", "reported_at", "id"),
        Index("ix_incident_status_due", "status", "due_at"),
        Index("ix_incident_district", "district_code", "reported_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"), index=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("area.id", ondelete="RESTRICT"), index=True)
    grid_code: Mapped[str] = mapped_column(String(15))
    district_code: Mapped[str] = mapped_column(String(6))
    location = mapped_column(Geometry("POINT", srid=4326, spatial_index=False), nullable=False)
    category_id: Mapped[int] = mapped_column(ForeignKey("incident_category.id", ondelete="RESTRICT"), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(10))
    patrol_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("patrol.id", ondelete="SET NULL"))
    pending_patrol_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # a patrol not synced yet
    visit_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    status: Mapped[str] = mapped_column(String(12))
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("incident_department.id", ondelete="RESTRICT"), index=True
    )
    handled_on_spot: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    note: Mapped[str | None] = mapped_column(Text)
    reported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    first_dispatched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    dispatched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A deadline set outside (the upstream work order's); when present it is the due time, not the category's.
    external_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    rework_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    reopen_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    merged_into: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("incident.id", ondelete="RESTRICT"), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)

    category: Mapped[Category] = relationship()
    department: Mapped[Department | None] = relationship()


class IncidentEvent(db.Model):
    """One action on an incident; rows are only ever inserted (a trigger refuses UPDATE and DELETE)."""

    __tablename__ = "incident_event"
    __table_args__ = (
        Index("ix_incident_event_incident", "incident_id", "id"),
        Index("ix_incident_event_action_at", "action", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("incident.id", ondelete="RESTRICT"))
    action: Mapped[str] = mapped_column(String(20))
    from_status: Mapped[str | None] = mapped_column(String(12))
    to_status: Mapped[str] = mapped_column(String(12))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(Text)
    department_id: Mapped[int | None] = mapped_column(Integer)
    photo_ids: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list, server_default="{}")
    detail: Mapped[dict] = mapped_column(JSON().with_variant(JSONB(), "postgresql"), default=dict)
