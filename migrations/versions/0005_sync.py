"""sync: record of applied phone operations

Revision ID: 0005_sync
Revises: 0004_people
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005_sync"
down_revision = "0004_people"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "sync_operation",
        sa.Column("op_id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("app_user.id", ondelete="CASCADE"), nullable=False),
        sa.Column("op", sa.String(length=40), nullable=False),
        sa.Column("created", sa.Boolean(), nullable=False),
        sa.Column("result", postgresql.JSONB(), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
    )
    op.create_index("ix_sync_operation_user_applied", "sync_operation", ["user_id", "applied_at"])


def downgrade():
    op.drop_index("ix_sync_operation_user_applied", table_name="sync_operation")
    op.drop_table("sync_operation")
