"""open311: upstream clients (12345 hotline), their work orders as incidents, and the signed callback outbox

Revision ID: 0016_open311
Revises: 0008_patrol_misses, 0003_incidents
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0016_open311"
# Also after 0003_incidents: it alters the incident table (the lead re-chains migrations at merge).
down_revision = "0014_trackers"
branch_labels = None
depends_on = None

OLD_SOURCES = "source IN ('patrol', 'visit', 'resident', 'assigned')"
NEW_SOURCES = "source IN ('patrol', 'visit', 'resident', 'assigned', 'upstream')"


def upgrade():
    op.drop_constraint("incident_source", "incident", type_="check")
    op.create_check_constraint("incident_source", "incident", NEW_SOURCES)
    op.add_column("incident", sa.Column("external_due_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "open311_client",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("api_key_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("key_prefix", sa.String(12), nullable=False),
        sa.Column("secret_enc", sa.Text(), nullable=False),
        sa.Column("callback_url", sa.String(500), nullable=True),
        sa.Column("area_code", sa.String(15), nullable=True),
        sa.Column("minutes_per_order", sa.Integer(), nullable=False, server_default="30"),
        sa.Column("active", sa.Boolean(), nullable=False, server_default="true"),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("minutes_per_order > 0", name="open311_client_minutes_positive"),
    )
    op.create_table(
        "open311_request",
        sa.Column("incident_id", sa.Uuid(), sa.ForeignKey("incident.id", ondelete="RESTRICT"), primary_key=True),
        sa.Column("client_id", sa.Integer(), sa.ForeignKey("open311_client.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("upstream_id", sa.String(100), nullable=False),
        sa.Column("token", sa.String(40), nullable=False, unique=True),
        sa.Column("service_code", sa.String(10), nullable=False),
        sa.Column("upstream_deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("address", sa.String(500), nullable=True),
        sa.Column("media_url", sa.String(1000), nullable=True),
        sa.Column("contact_enc", sa.Text(), nullable=True),
        sa.Column("contact_masked", postgresql.JSONB(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.UniqueConstraint("client_id", "upstream_id", name="uq_open311_request_client_upstream"),
    )
    op.create_table(
        "open311_outbox",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("client_id", sa.Integer(), sa.ForeignKey("open311_client.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("incident_id", sa.Uuid(), sa.ForeignKey("incident.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("grid_code", sa.String(15), nullable=False),
        sa.Column("payload", postgresql.JSONB(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("last_error", sa.String(300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'delivered', 'failed')", name="open311_outbox_status"),
    )
    op.create_index(
        "ix_open311_outbox_due", "open311_outbox", ["next_attempt_at", "id"], postgresql_where="status = 'pending'"
    )
    op.create_index("ix_open311_outbox_incident", "open311_outbox", ["incident_id", "id"])


def downgrade():
    op.drop_table("open311_outbox")
    op.drop_table("open311_request")
    op.drop_table("open311_client")
    op.drop_column("incident", "external_due_at")
    op.drop_constraint("incident_source", "incident", type_="check")
    op.create_check_constraint("incident_source", "incident", OLD_SOURCES)
