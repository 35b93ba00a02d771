"""departments: city-wide departments (street NULL, unique code); identical grid assignments refused

Departments already belong to a street (every existing row, the demo's included, keeps its street).
A department without a street is city-wide; its code is unique among the city-wide ones. A grid
assignment of the same worker, grid and start day can be stored once (concurrent creates stored two).

Revision ID: 0011_department_street
Revises: 0008_patrol_misses, 0003_incidents (it needs the incident tables: it merges both branches)
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_department_street"
down_revision = "0010_person_duplicate"
branch_labels = None
depends_on = None


def upgrade():
    op.alter_column("incident_department", "street_id", existing_type=sa.Integer(), nullable=True)
    op.create_index(
        "uq_department_citywide_code",
        "incident_department",
        ["code"],
        unique=True,
        postgresql_where=sa.text("street_id IS NULL"),
    )
    # Duplicates can only come from the race this constraint closes: keep the first of each.
    op.execute(
        """DELETE FROM grid_assignment g USING grid_assignment first
           WHERE g.user_id = first.user_id AND g.grid_id = first.grid_id
             AND g.start_date = first.start_date AND g.id > first.id"""
    )
    op.create_unique_constraint("uq_grid_assignment_start", "grid_assignment", ["user_id", "grid_id", "start_date"])


def downgrade():
    op.drop_constraint("uq_grid_assignment_start", "grid_assignment", type_="unique")
    op.drop_index("uq_department_citywide_code", table_name="incident_department")
    op.execute("DELETE FROM incident_department WHERE street_id IS NULL")
    op.alter_column("incident_department", "street_id", existing_type=sa.Integer(), nullable=False)
