"""Street -> community -> grid hierarchy and worker-to-grid assignments."""

from datetime import date, datetime

from geoalchemy2 import Geometry
from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from patrol.extensions import db

LEVELS = ("street", "community", "grid")
CODE_LENGTH = {"street": 9, "community": 12, "grid": 15}
PARENT_LEVEL = {"community": "street", "grid": "community"}


class Area(db.Model):
    __tablename__ = "area"
    __table_args__ = (
        CheckConstraint("level IN ('street', 'community', 'grid')", name="area_level"),
        CheckConstraint(
            "(level = 'street' AND length(code) = 9) OR (level = 'community' AND length(code) = 12)"
            " OR (level = 'grid' AND length(code) = 15)",
            name="area_code_length",
        ),
        Index("ix_area_geom", "geom", postgresql_using="gist"),
        Index("ix_area_code_prefix", "code", postgresql_ops={"code": "text_pattern_ops"}),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(15), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(10))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("area.id", ondelete="RESTRICT"), index=True)
    district_code: Mapped[str] = mapped_column(String(6), index=True)
    households: Mapped[int | None] = mapped_column(Integer)
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=False), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    parent: Mapped["Area | None"] = relationship(remote_side=[id])


class GridAssignment(db.Model):
    """A worker holds a grid from start_date until end_date (inclusive; open-ended when null)."""

    __tablename__ = "grid_assignment"
    __table_args__ = (
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="assignment_dates"),
        Index("ix_grid_assignment_user_grid", "user_id", "grid_id"),
        UniqueConstraint("user_id", "grid_id", "start_date", name="uq_grid_assignment_start"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    grid_id: Mapped[int] = mapped_column(ForeignKey("area.id", ondelete="CASCADE"), index=True)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    grid: Mapped[Area] = relationship(foreign_keys=[grid_id])
