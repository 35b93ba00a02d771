"""patrols: partial index on patrols that do not count, for the compliance statistics' miss reasons

Revision ID: 0008_patrol_misses
Revises: 0007_tasks
"""

from alembic import op

revision = "0008_patrol_misses"
down_revision = "0007_tasks"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_patrol_misses", "patrol", ["local_date", "grid_id"], postgresql_where="valid IS NOT TRUE")


def downgrade():
    op.drop_index("ix_patrol_misses", table_name="patrol")
