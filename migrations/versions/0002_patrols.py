"""patrols: patrol, track_point (partitioned monthly by fix time), patrol_rule, tracker_device

Revision ID: 0002_patrols
Revises: 0001_foundation
"""
import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = "0002_patrols"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "patrol",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("worker_id", sa.Integer(), sa.ForeignKey("app_user.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("grid_id", sa.Integer(), sa.ForeignKey("area.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("district_code", sa.String(6), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("shift", sa.String(2), nullable=False),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("track", Geometry("MULTILINESTRING", srid=4326, spatial_index=False), nullable=True),
        sa.Column("point_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("clean_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("distance_m", sa.Float(), nullable=True),
        sa.Column("duration_s", sa.Integer(), nullable=True),
        sa.Column("moving_s", sa.Integer(), nullable=True),
        sa.Column("inside_share", sa.Float(), nullable=True),
        sa.Column("coverage", sa.Float(), nullable=True),
        sa.Column("valid", sa.Boolean(), nullable=True),
        sa.Column("invalid_reasons", postgresql.ARRAY(sa.String(32)), nullable=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("shift IN ('am', 'pm')", name="patrol_shift"),
        sa.CheckConstraint("source IN ('pwa', 'osmand', 'gpx')", name="patrol_source"),
        sa.CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="patrol_times"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_patrol_grid_day", "patrol", ["grid_id", "local_date", "shift"])
    op.create_index("ix_patrol_worker_day", "patrol", ["worker_id", "local_date"])
    op.create_index("ix_patrol_district_day", "patrol", ["district_code", "local_date"])
    op.create_index("ix_patrol_updated_at", "patrol", ["updated_at"])
    op.create_index(
        "ix_patrol_open_tracker", "patrol", ["worker_id", "started_at"], postgresql_where=sa.text("ended_at IS NULL")
    )
    # Partitioned by month of fix time; the partition key is part of the primary key, so
    # (patrol_id, fix_time) stays unique across partitions. Monthly partitions are created by
    # patrol.patrols.partitions before each insert; DEFAULT catches anything else.
    op.execute(
        """
        CREATE TABLE track_point (
            patrol_id uuid NOT NULL,
            fix_time timestamptz NOT NULL,
            district_code varchar(6) NOT NULL,
            geom geometry(POINT, 4326) NOT NULL,
            accuracy real,
            speed real,
            heading real,
            flag smallint NOT NULL DEFAULT 0,
            CONSTRAINT track_point_pkey PRIMARY KEY (patrol_id, fix_time)
        ) PARTITION BY RANGE (fix_time)
        """
    )
    op.execute("CREATE TABLE track_point_default PARTITION OF track_point DEFAULT")
    op.create_table(
        "patrol_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), sa.ForeignKey("area.id", ondelete="CASCADE"), nullable=False),
        sa.Column("area_code", sa.String(15), nullable=False),
        sa.Column("am_start", sa.Time(), nullable=True),
        sa.Column("am_end", sa.Time(), nullable=True),
        sa.Column("pm_start", sa.Time(), nullable=True),
        sa.Column("pm_end", sa.Time(), nullable=True),
        sa.Column("min_duration_min", sa.Integer(), nullable=True),
        sa.Column("min_inside_share", sa.Float(), nullable=True),
        sa.Column("min_coverage", sa.Float(), nullable=True),
        sa.Column("updated_by", sa.Integer(), sa.ForeignKey("app_user.id", ondelete="SET NULL"), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("area_id"),
        sa.UniqueConstraint("area_code"),
    )
    op.create_index("ix_patrol_rule_updated_at", "patrol_rule", ["updated_at"])
    op.create_table(
        "tracker_device",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("app_user.id", ondelete="CASCADE"), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id"),
        sa.UniqueConstraint("key_hash"),
    )


def downgrade():
    op.drop_table("tracker_device")
    op.drop_index("ix_patrol_rule_updated_at", table_name="patrol_rule")
    op.drop_table("patrol_rule")
    op.execute("DROP TABLE track_point CASCADE")
    op.drop_table("patrol")
