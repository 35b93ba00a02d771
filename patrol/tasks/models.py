"""Duty list, pushed tasks and their items, budgets, key places and patrol participants."""

import uuid
from datetime import date, datetime

from geoalchemy2 import Geometry
from sqlalchemy import (
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
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from patrol.extensions import db

TASK_STATUSES = ("proposed", "active", "refused", "cancelled")
FULFIL_KINDS = ("visit", "patrol", "incident")
PARTICIPANT_KINDS = ("worker", "team", "volunteer")


class DutyType(db.Model):
    """One task type on a street's duty list (职责清单), with the minutes one item takes."""

    __tablename__ = "task_duty_type"
    __table_args__ = (
        UniqueConstraint("street_id", "code", name="uq_task_duty_type_street_code"),
        CheckConstraint("minutes BETWEEN 1 AND 1440", name="task_duty_type_minutes"),
        CheckConstraint("fulfil_by IS NULL OR fulfil_by IN ('visit', 'patrol', 'incident')", name="duty_fulfil_by"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    street_id: Mapped[int] = mapped_column(ForeignKey("area.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(100))
    minutes: Mapped[int] = mapped_column(Integer)
    fulfil_by: Mapped[str | None] = mapped_column(String(10))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class DutyChange(db.Model):
    """An append-only version entry of a street's duty list: who changed which type, when, from what to what."""

    __tablename__ = "task_duty_change"
    __table_args__ = (UniqueConstraint("street_id", "version", name="uq_task_duty_change_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    street_id: Mapped[int] = mapped_column(ForeignKey("area.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(10))  # add | update | remove
    before: Mapped[dict | None] = mapped_column(JSONB(none_as_null=True))
    after: Mapped[dict | None] = mapped_column(JSONB(none_as_null=True))
    changed_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Task(db.Model):
    """A task pushed down to the workers of some grids; unlisted or over-budget ones wait for the street."""

    __tablename__ = "task"
    __table_args__ = (
        CheckConstraint("status IN ('proposed', 'active', 'refused', 'cancelled')", name="task_status"),
        CheckConstraint("fulfil_by IS NULL OR fulfil_by IN ('visit', 'patrol', 'incident')", name="task_fulfil_by"),
        CheckConstraint("minutes_per_item BETWEEN 1 AND 1440", name="task_minutes"),
        Index("ix_task_street_status", "street_id", "status"),
        Index("ix_task_updated_at", "updated_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    street_id: Mapped[int] = mapped_column(ForeignKey("area.id", ondelete="RESTRICT"))
    district_code: Mapped[str] = mapped_column(String(6))
    department_id: Mapped[int | None] = mapped_column(Integer, index=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="RESTRICT"))
    type_code: Mapped[str] = mapped_column(String(40))
    type_name: Mapped[str] = mapped_column(String(100))
    listed: Mapped[bool] = mapped_column(Boolean)
    minutes_per_item: Mapped[int] = mapped_column(Integer)
    fulfil_by: Mapped[str | None] = mapped_column(String(10))
    target_count: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    grid_ids: Mapped[list[int]] = mapped_column(ARRAY(Integer))
    person_ids: Mapped[list[int] | None] = mapped_column(ARRAY(Integer))
    place_category: Mapped[str | None] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    instruction: Mapped[str] = mapped_column(Text, default="")
    due_date: Mapped[date] = mapped_column(Date)
    photo_required: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(10))
    over_budget: Mapped[dict | None] = mapped_column(JSONB(none_as_null=True))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    refusal_reason: Mapped[str | None] = mapped_column(Text)
    counts_from: Mapped[date] = mapped_column(Date)
    pushed_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class TaskItem(db.Model):
    """One checklist line of a worker: a place, a person or the grid itself, for one task."""

    __tablename__ = "task_item"
    __table_args__ = (
        Index("ix_task_item_worker", "worker_id", "task_id"),
        Index("ix_task_item_task", "task_id"),
        Index("ix_task_item_updated_at", "updated_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("task.id", ondelete="CASCADE"))
    worker_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="RESTRICT"))
    grid_id: Mapped[int] = mapped_column(ForeignKey("area.id", ondelete="RESTRICT"), index=True)
    district_code: Mapped[str] = mapped_column(String(6))
    key_place_id: Mapped[int | None] = mapped_column(ForeignKey("key_place.id", ondelete="SET NULL"))
    person_id: Mapped[int | None] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(200))
    units: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class TaskCompletion(db.Model):
    """A worker's one-tap completion of an item; the id is the phone's UUID, so a replay finds it."""

    __tablename__ = "task_completion"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("task_item.id", ondelete="CASCADE"), unique=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="RESTRICT"), index=True)
    completed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    patrol_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("patrol.id", ondelete="SET NULL"), index=True)
    pending_patrol_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # a patrol not synced yet
    note: Mapped[str | None] = mapped_column(Text)
    photo_ids: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class WorkerBudget(db.Model):
    """The minutes of pushed tasks a worker may receive per week, set by the street."""

    __tablename__ = "task_worker_budget"
    __table_args__ = (CheckConstraint("weekly_minutes BETWEEN 0 AND 10080", name="task_budget_minutes"),)

    worker_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True)
    weekly_minutes: Mapped[int] = mapped_column(Integer)
    set_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class KeyPlace(db.Model):
    """A point or small polygon inside a grid that passing patrols check (治安重点部位)."""

    __tablename__ = "key_place"
    __table_args__ = (
        CheckConstraint("check_every_days BETWEEN 1 AND 366", name="key_place_frequency"),
        Index("ix_key_place_geom", "geom", postgresql_using="gist"),
        Index("ix_key_place_area_code", "area_code", postgresql_ops={"area_code": "text_pattern_ops"}),
        Index("ix_key_place_updated_at", "updated_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("area.id", ondelete="RESTRICT"), index=True)
    area_code: Mapped[str] = mapped_column(String(15))
    district_code: Mapped[str] = mapped_column(String(6))
    name: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(40))
    geom = mapped_column(Geometry("GEOMETRY", srid=4326, spatial_index=False), nullable=False)
    check_every_days: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class KeyPlaceNote(db.Model):
    """A worker's one-tap note or photo at a key place; it also counts as a check that day."""

    __tablename__ = "key_place_note"
    __table_args__ = (Index("ix_key_place_note_place_time", "key_place_id", "noted_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    key_place_id: Mapped[int] = mapped_column(ForeignKey("key_place.id", ondelete="CASCADE"))
    worker_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="RESTRICT"))
    noted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(Text)
    photo_ids: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list)
    patrol_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class PatrolParticipant(db.Model):
    """Someone who walked a patrol with its recording worker (team member, volunteer, another worker)."""

    __tablename__ = "patrol_participant"
    __table_args__ = (
        CheckConstraint("kind IN ('worker', 'team', 'volunteer')", name="patrol_participant_kind"),
        Index("ix_patrol_participant_patrol", "patrol_id"),
        Index("ix_patrol_participant_user", "user_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patrol_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patrol.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(50))
    kind: Mapped[str] = mapped_column(String(10))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    added_by: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
