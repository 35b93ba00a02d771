"""patrol links as foreign keys: visit, incident, task_completion and patrol_participant reference patrol

An offline phone may sync a visit, an incident or a task completion before the patrol it names
(each outbox entry is its own transaction). Such a link is kept in `pending_patrol_id` until the
patrol arrives: a trigger on the linking table parks an unknown patrol id there, and a trigger on
`patrol` adopts every parked link in the transaction that creates the patrol.

Revision ID: 0009_patrol_foreign_keys
Revises: 0008_patrol_misses
"""

from alembic import op
import sqlalchemy as sa

revision = "0009_patrol_foreign_keys"
down_revision = "0008_patrol_misses"
branch_labels = None
depends_on = None

LINKING = ("visit", "incident", "task_completion")


def upgrade():
    op.execute("DELETE FROM patrol_participant pp WHERE NOT EXISTS (SELECT 1 FROM patrol p WHERE p.id = pp.patrol_id)")
    op.create_foreign_key(
        "fk_patrol_participant_patrol", "patrol_participant", "patrol", ["patrol_id"], ["id"], ondelete="CASCADE"
    )
    op.execute("""
        CREATE FUNCTION park_unknown_patrol() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.patrol_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM patrol WHERE id = NEW.patrol_id) THEN
                NEW.pending_patrol_id := NEW.patrol_id;
                NEW.patrol_id := NULL;
            ELSIF NEW.patrol_id IS NOT NULL THEN
                NEW.pending_patrol_id := NULL;
            END IF;
            RETURN NEW;
        END $$
    """)
    for table in LINKING:
        op.add_column(table, sa.Column("pending_patrol_id", sa.Uuid(), nullable=True))
        op.execute(f"""
            UPDATE {table} t SET pending_patrol_id = t.patrol_id, patrol_id = NULL
            WHERE t.patrol_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM patrol p WHERE p.id = t.patrol_id)
        """)
        op.create_index(
            f"ix_{table}_pending_patrol", table, ["pending_patrol_id"], postgresql_where="pending_patrol_id IS NOT NULL"
        )
        op.create_foreign_key(f"fk_{table}_patrol", table, "patrol", ["patrol_id"], ["id"], ondelete="SET NULL")
        op.execute(f"""
            CREATE TRIGGER {table}_park_unknown_patrol BEFORE INSERT OR UPDATE OF patrol_id ON {table}
            FOR EACH ROW EXECUTE FUNCTION park_unknown_patrol()
        """)
    op.execute("""
        CREATE FUNCTION adopt_pending_patrol_links() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE visit SET patrol_id = NEW.id WHERE pending_patrol_id = NEW.id;
            UPDATE incident SET patrol_id = NEW.id WHERE pending_patrol_id = NEW.id;
            UPDATE task_completion SET patrol_id = NEW.id WHERE pending_patrol_id = NEW.id;
            RETURN NULL;
        END $$
    """)
    op.execute("""
        CREATE TRIGGER patrol_adopt_pending_links AFTER INSERT ON patrol
        FOR EACH ROW EXECUTE FUNCTION adopt_pending_patrol_links()
    """)


def downgrade():
    op.execute("DROP TRIGGER IF EXISTS patrol_adopt_pending_links ON patrol")
    op.execute("DROP FUNCTION IF EXISTS adopt_pending_patrol_links()")
    for table in LINKING:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_park_unknown_patrol ON {table}")
        op.drop_constraint(f"fk_{table}_patrol", table, type_="foreignkey")
        op.execute(f"UPDATE {table} SET patrol_id = pending_patrol_id WHERE pending_patrol_id IS NOT NULL")
        op.drop_index(f"ix_{table}_pending_patrol", table_name=table)
        op.drop_column(table, "pending_patrol_id")
    op.execute("DROP FUNCTION IF EXISTS park_unknown_patrol()")
    op.drop_constraint("fk_patrol_participant_patrol", "patrol_participant", type_="foreignkey")
