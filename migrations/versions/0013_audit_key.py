"""audit: keyed chain (HMAC with AUDIT_KEY), TRUNCATE refused, UPDATE/DELETE/TRUNCATE revoked

Existing entries are re-chained under the key; when there were any, an `audit.keyed` entry records how
many and whether their old unkeyed chain verified, and the newest hash is anchored outside the database.

Revision ID: 0013_audit_key
Revises: 0008_patrol_misses
"""

import hashlib
import json
from datetime import UTC, datetime
from types import SimpleNamespace

from alembic import op
from flask import current_app
from sqlalchemy import text

revision = "0013_audit_key"
down_revision = "0011_department_street"
branch_labels = None
depends_on = None

FIELDS = "id, created_at, actor_id, action, object_type, object_id, area_code, client_address, detail, prev_hash"


def _payload(prev, row):
    from patrol.audit.service import entry_payload

    address = None if row.client_address is None else str(row.client_address)
    return entry_payload(
        prev, row.created_at.astimezone(UTC), row.actor_id, row.action, row.object_type, row.object_id,
        row.area_code, address, row.detail,
    )  # fmt: skip


def _rechain(bind, key):
    """Re-hash every entry under the key; (entries, first entry whose unkeyed hash did not verify, last)."""
    from patrol.audit.service import GENESIS, keyed_digest

    rows = bind.execute(text(f"SELECT {FIELDS}, entry_hash FROM audit_entry ORDER BY id")).all()
    old_prev, new_prev, legacy_broken = GENESIS, GENESIS, None
    updates = []
    for row in rows:
        if legacy_broken is None and (
            row.prev_hash != old_prev or hashlib.sha256(_payload(old_prev, row)).hexdigest() != row.entry_hash
        ):
            legacy_broken = row.id
        old_prev = row.entry_hash
        digest = keyed_digest(key, _payload(new_prev, row))
        updates.append({"id": row.id, "prev": new_prev, "hash": digest})
        new_prev = digest
    if updates:
        op.execute("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_no_change")
        bind.execute(text("UPDATE audit_entry SET prev_hash = :prev, entry_hash = :hash WHERE id = :id"), updates)
        op.execute("ALTER TABLE audit_entry ENABLE TRIGGER audit_entry_no_change")
    return len(rows), legacy_broken, new_prev


def _mark_keyed(bind, key, count, legacy_broken, prev):
    """Append the `audit.keyed` entry and anchor it."""
    from patrol.audit import anchor
    from patrol.audit.service import keyed_digest

    row = SimpleNamespace(
        created_at=datetime.now(UTC), actor_id=None, action="audit.keyed", object_type=None, object_id=None,
        area_code=None, client_address=None, detail={"rechained": count, "legacy_chain_broken_at": legacy_broken},
    )  # fmt: skip
    digest = keyed_digest(key, _payload(prev, row))
    entry_id = bind.execute(
        text(
            "INSERT INTO audit_entry (created_at, action, detail, prev_hash, entry_hash)"
            " VALUES (:at, 'audit.keyed', CAST(:detail AS jsonb), :prev, :hash) RETURNING id"
        ),
        {"at": row.created_at, "detail": json.dumps(row.detail), "prev": prev, "hash": digest},
    ).scalar()
    anchor.write_anchor(current_app.config["AUDIT_ANCHOR_DIR"], key, entry_id, digest, force=True)


def upgrade():
    bind = op.get_bind()
    op.execute(
        "CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_entry"
        " FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_append_only()"
    )
    key = current_app.config["AUDIT_KEY"]
    count, legacy_broken, prev = _rechain(bind, key)
    if count:
        _mark_keyed(bind, key, count, legacy_broken, prev)
    # The app's role keeps INSERT and SELECT only (as owner it could grant itself more: see docs/security.md).
    op.execute("REVOKE UPDATE, DELETE, TRUNCATE ON audit_entry FROM PUBLIC")
    op.execute("REVOKE UPDATE, DELETE, TRUNCATE ON audit_entry FROM CURRENT_USER")


def downgrade():
    op.execute("GRANT UPDATE, DELETE, TRUNCATE ON audit_entry TO CURRENT_USER")
    op.execute("DROP TRIGGER IF EXISTS audit_entry_no_truncate ON audit_entry")
