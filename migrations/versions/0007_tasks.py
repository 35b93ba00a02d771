"""tasks: duty list, pushed tasks and items, budgets, key places, patrol participants

Revision ID: 0007_tasks
Revises: 0005_sync
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = "0007_tasks"
down_revision = "0005_sync"
branch_labels = None
depends_on = None


def _timestamps():
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
    ]


def _user(name, nullable=True, ondelete="SET NULL"):
    return sa.Column(name, sa.Integer(), sa.ForeignKey("app_user.id", ondelete=ondelete), nullable=nullable)


def upgrade():
    op.create_table(
        "task_duty_type",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("street_id", sa.Integer(), sa.ForeignKey("area.id", ondelete="CASCADE"), nullable=False),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("fulfil_by", sa.String(10)),
        sa.Column("active", sa.Boolean(), server_default="true", nullable=False),
        _user("updated_by"),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.UniqueConstraint("street_id", "code", name="uq_task_duty_type_street_code"),
        sa.CheckConstraint("minutes BETWEEN 1 AND 1440", name="task_duty_type_minutes"),
        sa.CheckConstraint("fulfil_by IS NULL OR fulfil_by IN ('visit', 'patrol', 'incident')", name="duty_fulfil_by"),
    )
    op.create_index("ix_task_duty_type_street_id", "task_duty_type", ["street_id"])
    op.create_table(
        "task_duty_change",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("street_id", sa.Integer(), sa.ForeignKey("area.id", ondelete="CASCADE"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("action", sa.String(10), nullable=False),
        sa.Column("before", postgresql.JSONB()),
        sa.Column("after", postgresql.JSONB()),
        _user("changed_by"),
        sa.Column("changed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.UniqueConstraint("street_id", "version", name="uq_task_duty_change_version"),
    )
    op.create_table(
        "key_place",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("grid_id", sa.Integer(), sa.ForeignKey("area.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("area_code", sa.String(15), nullable=False),
        sa.Column("district_code", sa.String(6), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("geom", Geometry("GEOMETRY", srid=4326, spatial_index=False), nullable=False),
        sa.Column("check_every_days", sa.Integer(), server_default="1", nullable=False),
        sa.Column("active", sa.Boolean(), server_default="true", nullable=False),
        _user("created_by"),
        *_timestamps(),
        sa.CheckConstraint("check_every_days BETWEEN 1 AND 366", name="key_place_frequency"),
    )
    op.create_index("ix_key_place_grid_id", "key_place", ["grid_id"])
    op.create_index("ix_key_place_geom", "key_place", ["geom"], postgresql_using="gist")
    op.create_index(
        "ix_key_place_area_code", "key_place", ["area_code"], postgresql_ops={"area_code": "text_pattern_ops"}
    )
    op.create_index("ix_key_place_updated_at", "key_place", ["updated_at"])
    op.create_table(
        "key_place_note",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("key_place_id", sa.Integer(), sa.ForeignKey("key_place.id", ondelete="CASCADE"), nullable=False),
        _user("worker_id", nullable=False, ondelete="RESTRICT"),
        sa.Column("noted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text()),
        sa.Column("photo_ids", postgresql.ARRAY(sa.String(64)), nullable=False),
        sa.Column("patrol_id", sa.Uuid()),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
    )
    op.create_index("ix_key_place_note_place_time", "key_place_note", ["key_place_id", "noted_at"])
    op.create_table(
        "task",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("street_id", sa.Integer(), sa.ForeignKey("area.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("district_code", sa.String(6), nullable=False),
        sa.Column("department_id", sa.Integer()),
        _user("created_by", nullable=False, ondelete="RESTRICT"),
        sa.Column("type_code", sa.String(40), nullable=False),
        sa.Column("type_name", sa.String(100), nullable=False),
        sa.Column("listed", sa.Boolean(), nullable=False),
        sa.Column("minutes_per_item", sa.Integer(), nullable=False),
        sa.Column("fulfil_by", sa.String(10)),
        sa.Column("target_count", sa.Integer(), server_default="1", nullable=False),
        sa.Column("grid_ids", postgresql.ARRAY(sa.Integer()), nullable=False),
        sa.Column("person_ids", postgresql.ARRAY(sa.Integer())),
        sa.Column("place_category", sa.String(40)),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("instruction", sa.Text(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("photo_required", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("over_budget", postgresql.JSONB()),
        _user("decided_by"),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.Column("refusal_reason", sa.Text()),
        sa.Column("counts_from", sa.Date(), nullable=False),
        sa.Column("pushed_on", sa.Date()),
        *_timestamps(),
        sa.CheckConstraint("status IN ('proposed', 'active', 'refused', 'cancelled')", name="task_status"),
        sa.CheckConstraint("fulfil_by IS NULL OR fulfil_by IN ('visit', 'patrol', 'incident')", name="task_fulfil_by"),
        sa.CheckConstraint("minutes_per_item BETWEEN 1 AND 1440", name="task_minutes"),
    )
    op.create_index("ix_task_department_id", "task", ["department_id"])
    op.create_index("ix_task_street_status", "task", ["street_id", "status"])
    op.create_index("ix_task_updated_at", "task", ["updated_at"])
    op.create_table(
        "task_item",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("task_id", sa.Uuid(), sa.ForeignKey("task.id", ondelete="CASCADE"), nullable=False),
        _user("worker_id", nullable=False, ondelete="RESTRICT"),
        sa.Column("grid_id", sa.Integer(), sa.ForeignKey("area.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("district_code", sa.String(6), nullable=False),
        sa.Column("key_place_id", sa.Integer(), sa.ForeignKey("key_place.id", ondelete="SET NULL")),
        sa.Column("person_id", sa.Integer()),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("units", sa.Integer(), server_default="1", nullable=False),
        *_timestamps(),
    )
    op.create_index("ix_task_item_worker", "task_item", ["worker_id", "task_id"])
    op.create_index("ix_task_item_task", "task_item", ["task_id"])
    op.create_index("ix_task_item_grid_id", "task_item", ["grid_id"])
    op.create_index("ix_task_item_updated_at", "task_item", ["updated_at"])
    op.create_table(
        "task_completion",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("task_item.id", ondelete="CASCADE"), nullable=False),
        _user("worker_id", nullable=False, ondelete="RESTRICT"),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("patrol_id", sa.Uuid()),
        sa.Column("note", sa.Text()),
        sa.Column("photo_ids", postgresql.ARRAY(sa.String(64)), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.UniqueConstraint("item_id", name="uq_task_completion_item_id"),
    )
    op.create_index("ix_task_completion_worker_id", "task_completion", ["worker_id"])
    op.create_index("ix_task_completion_patrol_id", "task_completion", ["patrol_id"])
    op.create_table(
        "task_worker_budget",
        sa.Column("worker_id", sa.Integer(), sa.ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("weekly_minutes", sa.Integer(), nullable=False),
        _user("set_by"),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("weekly_minutes BETWEEN 0 AND 10080", name="task_budget_minutes"),
    )
    op.create_table(
        "patrol_participant",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("patrol_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        _user("user_id"),
        _user("added_by", nullable=False, ondelete="RESTRICT"),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("kind IN ('worker', 'team', 'volunteer')", name="patrol_participant_kind"),
    )
    op.create_index("ix_patrol_participant_patrol", "patrol_participant", ["patrol_id"])
    op.create_index("ix_patrol_participant_user", "patrol_participant", ["user_id"])


def downgrade():
    for table in (
        "patrol_participant",
        "task_worker_budget",
        "task_completion",
        "task_item",
        "task",
        "key_place_note",
        "key_place",
        "task_duty_change",
        "task_duty_type",
    ):
        op.drop_table(table)
