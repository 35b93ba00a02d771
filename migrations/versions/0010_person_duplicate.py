"""people: ID masks that leave birth digits hidden, ID numbers no longer unique, cross-area duplicates

Revision ID: 0010_person_duplicate
Revises: 0008_patrol_misses, 0004_people
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_person_duplicate"
down_revision = "0009_patrol_foreign_keys"
branch_labels = None
depends_on = None


def upgrade():
    # The old mask (region + last four) is re-derived to region + check character.
    op.execute("UPDATE person SET id_number_masked = left(id_number_masked, 6) || repeat('*', 11) "
               "|| right(id_number_masked, 1)")  # fmt: skip
    op.drop_constraint("person_id_number_index_key", "person", type_="unique")
    op.create_index("ix_person_id_number_index", "person", ["id_number_index"])
    op.create_table(
        "person_duplicate",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("person.id", ondelete="CASCADE"), nullable=False),
        sa.Column("other_person_id", sa.Integer(), sa.ForeignKey("person.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("app_user.id", ondelete="SET NULL")),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("resolution", sa.String(16)),
        sa.Column("kept_person_id", sa.Integer()),
        sa.Column("note", sa.String(200)),
        sa.Column("resolved_by", sa.Integer(), sa.ForeignKey("app_user.id", ondelete="SET NULL")),
        sa.Column("resolved_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("person_id <> other_person_id", name="person_duplicate_distinct"),
        sa.CheckConstraint("resolution IN ('keep_both', 'keep_one')", name="person_duplicate_resolution"),
    )
    op.create_index("uq_person_duplicate_pair", "person_duplicate", ["person_id", "other_person_id"], unique=True)
    op.create_index("ix_person_duplicate_other_person_id", "person_duplicate", ["other_person_id"])


def downgrade():
    op.drop_table("person_duplicate")
    op.drop_index("ix_person_id_number_index", table_name="person")
    op.create_unique_constraint("person_id_number_index_key", "person", ["id_number_index"])
