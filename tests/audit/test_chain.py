"""The audit log against its own database role: every tampering that role can do is refused or detected."""

import hashlib
import json
from datetime import UTC

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from patrol.extensions import db
from tests.conftest import assert_error_shape

GENESIS = "0" * 64


def _as_owner(statement, lift="UPDATE, DELETE, TRUNCATE"):
    """What the app's role can do to its own table: grant itself rights, switch the triggers off, act."""
    db.session.execute(text(f"GRANT {lift} ON audit_entry TO CURRENT_USER"))
    db.session.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER USER"))
    db.session.execute(text(statement))
    db.session.execute(text("ALTER TABLE audit_entry ENABLE TRIGGER USER"))
    db.session.execute(text(f"REVOKE {lift} ON audit_entry FROM CURRENT_USER"))
    db.session.commit()


def _recompute_unkeyed_chain():
    """The attack that fooled the old audit-verify: a fresh SHA-256 chain over the rows as they now are."""
    rows = db.session.execute(text("SELECT * FROM audit_entry ORDER BY id")).mappings().all()
    prev = GENESIS
    statements = []
    for row in rows:
        address = None if row["client_address"] is None else str(row["client_address"])
        fields = [prev, row["created_at"].astimezone(UTC).isoformat(), row["actor_id"], row["action"]]
        fields += [row["object_type"], row["object_id"], row["area_code"], address, row["detail"]]
        payload = json.dumps(fields, sort_keys=True, ensure_ascii=False, default=str)
        digest = hashlib.sha256(payload.encode()).hexdigest()
        update = f"UPDATE audit_entry SET prev_hash = '{prev}', entry_hash = '{digest}'"
        statements.append(f"{update} WHERE id = {row['id']}")
        prev = digest
    _as_owner("; ".join(statements))


def _verify(runner):
    result = runner.invoke(args=["audit-verify"])
    return result.exit_code, result.output


def test_audit_log_verifies_and_detects_an_edit(demo, runner):
    assert _verify(runner)[0] == 0 and "intact" in _verify(runner)[1]
    _as_owner('UPDATE audit_entry SET detail = \'{"role": "admin"}\' WHERE id = 2')
    code, output = _verify(runner)
    assert code == 1 and "BROKEN at entry 2" in output


def test_an_edit_rechained_without_the_key_is_detected(demo, runner):
    _as_owner('UPDATE audit_entry SET detail = \'{"role": "admin"}\' WHERE id = 2')
    _recompute_unkeyed_chain()
    code, output = _verify(runner)
    assert code == 1 and "BROKEN at entry 1" in output


def test_dropping_the_newest_entries_is_detected(demo, runner):
    newest = db.session.execute(text("SELECT max(id) FROM audit_entry")).scalar()
    assert newest > 3
    _as_owner(f"DELETE FROM audit_entry WHERE id > {newest - 2}")
    code, output = _verify(runner)
    assert code == 1 and f"entry {newest} missing" in output


def test_dropped_entries_stay_detected_after_later_appends_reuse_their_ids(demo, runner):
    from patrol.auth import service as auth

    newest = db.session.execute(text("SELECT max(id) FROM audit_entry")).scalar()
    _as_owner(f"DELETE FROM audit_entry WHERE id > {newest - 2}; SELECT setval('audit_entry_id_seq', {newest - 2})")
    for n in range(4):  # the app keeps working; its appends pass the anchored id
        auth.create_user(f"late-{n}", "a-long-enough-password-1", "worker", "后来者", "330106010001")
    assert db.session.execute(text("SELECT max(id) FROM audit_entry")).scalar() == newest + 2
    code, output = _verify(runner)
    assert code == 1 and f"entry {newest}" in output, output


def test_truncate_is_refused_and_a_forced_one_detected(demo, runner):
    with pytest.raises(DBAPIError):
        db.session.execute(text("TRUNCATE audit_entry"))
    db.session.rollback()
    db.session.execute(text("GRANT TRUNCATE ON audit_entry TO CURRENT_USER"))
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(text("TRUNCATE audit_entry"))
    db.session.rollback()
    _as_owner("TRUNCATE audit_entry")
    code, output = _verify(runner)
    assert code == 1 and "TRUNCATED" in output


def test_the_app_role_holds_no_update_delete_or_truncate_right(demo):
    rights = db.session.execute(
        text(
            "SELECT has_table_privilege(current_user, 'audit_entry', 'UPDATE'),"
            " has_table_privilege(current_user, 'audit_entry', 'DELETE'),"
            " has_table_privilege(current_user, 'audit_entry', 'TRUNCATE'),"
            " has_table_privilege(current_user, 'audit_entry', 'INSERT')"
        )
    ).one()
    assert tuple(rights) == (False, False, False, True)


def test_reanchor_after_a_legitimate_restore_and_never_over_a_broken_chain(demo, runner):
    newest = db.session.execute(text("SELECT max(id) FROM audit_entry")).scalar()
    _as_owner(f"DELETE FROM audit_entry WHERE id = {newest}")  # as a restore of an older dump would leave it
    assert _verify(runner)[0] == 1
    result = runner.invoke(args=["audit-reanchor"])
    assert result.exit_code == 0, result.output
    assert _verify(runner) == (0, _verify(runner)[1]) and "intact" in _verify(runner)[1]
    reanchored = db.session.execute(text("SELECT action FROM audit_entry ORDER BY id DESC LIMIT 1")).scalar()
    assert reanchored == "audit.reanchor"
    _as_owner('UPDATE audit_entry SET detail = \'{"role": "admin"}\' WHERE id = 2')
    result = runner.invoke(args=["audit-reanchor"])
    assert result.exit_code == 1 and "not re-anchored" in result.output


def test_audit_entries_cannot_be_edited_or_deleted(demo):
    for statement in ("UPDATE audit_entry SET action = 'x'", "DELETE FROM audit_entry"):
        with pytest.raises(DBAPIError, match="permission denied"):
            db.session.execute(text(statement))
        db.session.rollback()
        db.session.execute(text("GRANT UPDATE, DELETE ON audit_entry TO CURRENT_USER"))
        with pytest.raises(DBAPIError, match="append-only"):  # the trigger still stands behind the privilege
            db.session.execute(text(statement))
        db.session.rollback()


def test_audit_log_is_for_reviewers_and_scoped(demo, login):
    assert_error_shape(login("demo-worker").get("/api/v1/audit"), 403)
    assert_error_shape(login("demo-community").get("/api/v1/audit"), 403)
    street = login("demo-street").get("/api/v1/audit?limit=500").get_json()
    assert street and all((e["area_code"] or "").startswith("330106010") for e in street)
    admin = login("demo-admin").get("/api/v1/audit?limit=2").get_json()
    assert len(admin) == 2 and admin[0]["id"] > admin[1]["id"]
    older = login("demo-admin").get(f"/api/v1/audit?before_id={admin[1]['id']}&limit=1").get_json()
    assert older[0]["id"] < admin[1]["id"]


def test_migration_rechains_an_unkeyed_log_under_the_key_and_anchors_it(demo, app, runner):
    from flask_migrate import downgrade, upgrade

    db.session.commit()
    db.session.remove()
    downgrade(revision="0013_audit_key-1")
    try:
        _recompute_unkeyed_chain()  # the log as the previous version wrote it
        db.session.execute(text("GRANT UPDATE ON audit_entry TO CURRENT_USER"))  # what the old schema held
        db.session.commit()
        db.session.remove()
    finally:
        upgrade(revision="heads")
    code, output = _verify(runner)
    assert code == 0, output
    marker = db.session.execute(text("SELECT detail FROM audit_entry ORDER BY id DESC LIMIT 1")).scalar()
    assert marker["legacy_chain_broken_at"] is None and marker["rechained"] > 3
    _recompute_unkeyed_chain()
    assert _verify(runner)[0] == 1
