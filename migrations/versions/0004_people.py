"""people: special-population registry with encrypted PII, visits, visit intervals

Revision ID: 0004_people
Revises: 0003_incidents
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = "0004_people"
down_revision = "0003_incidents"
branch_labels = None
depends_on = None

def upgrade():
    op.create_table(
        "person",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("gender", sa.String(1), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("id_number_enc", sa.Text(), nullable=False),
        sa.Column("id_number_index", sa.String(64), nullable=False),
        sa.Column("id_number_masked", sa.String(18), nullable=False),
        sa.Column("phone_enc", sa.Text(), nullable=True),
        sa.Column("phone_index", sa.String(64), nullable=True),
        sa.Column("phone_masked", sa.String(20), nullable=True),
        sa.Column("address", sa.String(200), nullable=True),
        sa.Column(
            "location",
            Geometry(
                geometry_type="POINT", srid=4326, spatial_index=False, from_text="ST_GeomFromEWKT", name="geometry"
            ),
            nullable=True,
        ),
        sa.Column("grid_id", sa.Integer(), sa.ForeignKey("area.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("area_code", sa.String(15), nullable=False),
        sa.Column("district_code", sa.String(6), nullable=False),
        sa.Column("attention_level", sa.SmallInteger(), nullable=False),
        sa.Column("registered_on", sa.Date(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("app_user.id", ondelete="SET NULL"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("attention_level BETWEEN 1 AND 3", name="person_attention_level"),
        sa.CheckConstraint("gender IN ('M', 'F')", name="person_gender"),
        sa.UniqueConstraint("id_number_index"),
    )
    op.create_index("ix_person_grid_id", "person", ["grid_id"])
    op.create_index("ix_person_district_code", "person", ["district_code"])
    op.create_index("ix_person_phone_index", "person", ["phone_index"])
    op.create_index("ix_person_updated_at", "person", ["updated_at"])
    op.create_index("ix_person_area_code", "person", ["area_code"], postgresql_ops={"area_code": "text_pattern_ops"})
    op.create_index("ix_person_location", "person", ["location"], postgresql_using="gist")

    op.create_table(
        "person_category",
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("person.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("category", sa.String(32), primary_key=True),
        sa.Column("extra", postgresql.JSONB(), nullable=False),
    )
    op.create_index("ix_person_category_category", "person_category", ["category"])

    op.create_table(
        "person_worker",
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("person.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True),
    )
    op.create_index("ix_person_worker_user_id", "person_worker", ["user_id"])

    # overrides of the default intervals in patrol/people/categories.py (empty = defaults)
    op.create_table(
        "visit_interval",
        sa.Column("category", sa.String(32), primary_key=True),
        sa.Column("attention_level", sa.SmallInteger(), primary_key=True),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.CheckConstraint("days BETWEEN 1 AND 366", name="visit_interval_days"),
    )

    op.create_table(
        "visit",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("person.id", ondelete="CASCADE"), nullable=False),
        sa.Column("worker_id", sa.Integer(), sa.ForeignKey("app_user.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("grid_id", sa.Integer(), sa.ForeignKey("area.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("area_code", sa.String(15), nullable=False),
        sa.Column("district_code", sa.String(6), nullable=False),
        sa.Column("visited_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("visit_date", sa.Date(), nullable=False),
        sa.Column(
            "location",
            Geometry(
                geometry_type="POINT", srid=4326, spatial_index=False, from_text="ST_GeomFromEWKT", name="geometry"
            ),
            nullable=True,
        ),
        sa.Column("method", sa.String(8), nullable=False),
        sa.Column("condition", sa.String(8), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("photo_ids", postgresql.ARRAY(sa.String(64)), nullable=False),
        sa.Column("patrol_id", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column("incident_id", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("method IN ('入户', '电话', '视频', '其他')", name="visit_method"),
        sa.CheckConstraint("condition IN ('正常', '需关注', '异常')", name="visit_condition"),
    )
    op.create_index("ix_visit_person_date", "visit", ["person_id", "visit_date"])
    op.create_index(
        "ix_visit_area_date", "visit", ["area_code", "visit_date"], postgresql_ops={"area_code": "text_pattern_ops"}
    )
    op.create_index("ix_visit_worker_id", "visit", ["worker_id"])
    op.create_index("ix_visit_district_code", "visit", ["district_code"])
    op.create_index("ix_visit_patrol_id", "visit", ["patrol_id"])
    op.create_index("ix_visit_updated_at", "visit", ["updated_at"])


def downgrade():
    op.drop_table("visit")
    op.drop_table("visit_interval")
    op.drop_table("person_worker")
    op.drop_table("person_category")
    op.drop_table("person")
