import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from patrol.extensions import db
from tests.conftest import assert_error_shape


def test_audit_log_verifies_and_detects_tampering(demo, runner):
    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code == 0 and "intact" in result.output
    db.session.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_no_change"))
    db.session.execute(text('UPDATE audit_entry SET detail = \'{"role": "admin"}\' WHERE id = 2'))
    db.session.execute(text("ALTER TABLE audit_entry ENABLE TRIGGER audit_entry_no_change"))
    db.session.commit()
    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code == 1 and "BROKEN at entry 2" in result.output


def test_audit_entries_cannot_be_edited_or_deleted(demo):
    for statement in ("UPDATE audit_entry SET action = 'x'", "DELETE FROM audit_entry"):
        with pytest.raises(DBAPIError, match="append-only"):
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
