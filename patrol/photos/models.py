"""Stored photos, who uploaded them and which records use them."""

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from patrol.extensions import db


class Photo(db.Model):
    """One stored image; the id is the SHA-256 of the stored (re-encoded, EXIF-free) bytes."""

    __tablename__ = "photo"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    content_type: Mapped[str] = mapped_column(String(40))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class PhotoUploader(db.Model):
    """Every user who uploaded the same bytes (a retried or shared upload is one photo)."""

    __tablename__ = "photo_uploader"

    photo_id: Mapped[str] = mapped_column(ForeignKey("photo.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class PhotoUse(db.Model):
    """A record (incident, incident action, visit, task) that shows a photo; drives who may see it."""

    __tablename__ = "photo_use"
    __table_args__ = (
        UniqueConstraint("photo_id", "record_type", "record_id", name="uq_photo_use"),
        Index("ix_photo_use_record", "record_type", "record_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    photo_id: Mapped[str] = mapped_column(ForeignKey("photo.id", ondelete="CASCADE"), index=True)
    record_type: Mapped[str] = mapped_column(String(30))
    record_id: Mapped[str] = mapped_column(String(64))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("area.id", ondelete="SET NULL"), index=True)
    used_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
