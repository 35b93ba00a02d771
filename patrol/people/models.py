"""Persons of special populations, their categories and responsible workers, visits, visit intervals."""

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
    SmallInteger,
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column, relationship

from patrol.extensions import db


class Person(db.Model):
    """ID number and phone are stored only encrypted (`*_enc`), as blind indexes and masked."""

    __tablename__ = "person"
    __table_args__ = (
        CheckConstraint("attention_level BETWEEN 1 AND 3", name="person_attention_level"),
        CheckConstraint("gender IN ('M', 'F')", name="person_gender"),
        Index("ix_person_area_code", "area_code", postgresql_ops={"area_code": "text_pattern_ops"}),
        Index("ix_person_location", "location", postgresql_using="gist"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    gender: Mapped[str] = mapped_column(String(1))
    birth_date: Mapped[date] = mapped_column(Date)
    id_number_enc: Mapped[str] = mapped_column(Text)
    # Not unique: a number registered in another area is stored again and recorded as a PersonDuplicate.
    id_number_index: Mapped[str] = mapped_column(String(64), index=True)
    id_number_masked: Mapped[str] = mapped_column(String(18))
    phone_enc: Mapped[str | None] = mapped_column(Text)
    phone_index: Mapped[str | None] = mapped_column(String(64), index=True)
    phone_masked: Mapped[str | None] = mapped_column(String(20))
    address: Mapped[str | None] = mapped_column(String(200))
    location = mapped_column(Geometry("POINT", srid=4326, spatial_index=False), nullable=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("area.id", ondelete="RESTRICT"), index=True)
    area_code: Mapped[str] = mapped_column(String(15))
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    attention_level: Mapped[int] = mapped_column(SmallInteger, default=1)
    registered_on: Mapped[date] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    notes: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now(), index=True
    )

    categories: Mapped[list["PersonCategory"]] = relationship(
        cascade="all, delete-orphan", order_by="PersonCategory.category", lazy="selectin"
    )
    workers: Mapped[list["PersonWorker"]] = relationship(cascade="all, delete-orphan", lazy="selectin")


class PersonCategory(db.Model):
    __tablename__ = "person_category"

    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    category: Mapped[str] = mapped_column(String(32), primary_key=True, index=True)
    extra: Mapped[dict] = mapped_column(JSONB, default=dict)


class PersonWorker(db.Model):
    """A worker responsible for visiting the person."""

    __tablename__ = "person_worker"

    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True, index=True)


class PersonDuplicate(db.Model):
    """Two records of one ID number in different areas, found when the later one was registered.

    The registering caller is not told (that would reveal records outside their scope); the street
    holding both records, or an admin, lists and resolves it.
    """

    __tablename__ = "person_duplicate"
    __table_args__ = (
        CheckConstraint("person_id <> other_person_id", name="person_duplicate_distinct"),
        CheckConstraint("resolution IN ('keep_both', 'keep_one')", name="person_duplicate_resolution"),
        Index("uq_person_duplicate_pair", "person_id", "other_person_id", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    other_person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    resolution: Mapped[str | None] = mapped_column(String(16))
    kept_person_id: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(String(200))
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class VisitInterval(db.Model):
    """Days between visits for a category at an attention level (the shortest applicable one wins)."""

    __tablename__ = "visit_interval"
    __table_args__ = (CheckConstraint("days BETWEEN 1 AND 366", name="visit_interval_days"),)

    category: Mapped[str] = mapped_column(String(32), primary_key=True)
    attention_level: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    days: Mapped[int] = mapped_column(Integer)


class Visit(db.Model):
    """A visit to a person; the id is chosen by the phone, so a replay finds the original."""

    __tablename__ = "visit"
    __table_args__ = (
        CheckConstraint("method IN ('入户', '电话', '视频', '其他')", name="visit_method"),
        CheckConstraint("condition IN ('正常', '需关注', '异常')", name="visit_condition"),
        Index("ix_visit_person_date", "person_id", "visit_date"),
        Index("ix_visit_area_date", "area_code", "visit_date", postgresql_ops={"area_code": "text_pattern_ops"}),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    worker_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="RESTRICT"), index=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("area.id", ondelete="RESTRICT"))
    area_code: Mapped[str] = mapped_column(String(15))
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    visited_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    visit_date: Mapped[date] = mapped_column(Date)
    location = mapped_column(Geometry("POINT", srid=4326, spatial_index=False), nullable=True)
    method: Mapped[str] = mapped_column(String(8))
    condition: Mapped[str] = mapped_column(String(8))
    note: Mapped[str | None] = mapped_column(Text)
    photo_ids: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list)
    patrol_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("patrol.id", ondelete="SET NULL"), index=True)
    pending_patrol_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))  # not synced yet
    incident_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now(), index=True
    )

    person: Mapped[Person] = relationship()
