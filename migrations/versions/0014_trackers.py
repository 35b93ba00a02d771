"""trackers: device status (last fix time, battery, client) on tracker_device; track_point.seg_start

Revision ID: 0014_trackers
Revises: 0008_patrol_misses
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_trackers"
down_revision = "0013_audit_key"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("tracker_device", sa.Column("last_fix_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("tracker_device", sa.Column("battery", sa.REAL(), nullable=True))
    op.add_column("tracker_device", sa.Column("charging", sa.Boolean(), nullable=True))
    op.add_column("tracker_device", sa.Column("client", sa.String(16), nullable=True))
    # A constant default: no table rewrite, partitions included.
    op.add_column("track_point", sa.Column("seg_start", sa.Boolean(), server_default="false", nullable=False))


def downgrade():
    op.drop_column("track_point", "seg_start")
    for column in ("client", "charging", "battery", "last_fix_at"):
        op.drop_column("tracker_device", column)
