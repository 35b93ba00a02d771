"""Dry-run ledger imports check up to thousands of ID numbers at once: each is audited and limited per user."""

from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select, text

from patrol.audit import service as audit
from patrol.audit.models import AuditEntry
from patrol.auth.scope import area_prefix
from patrol.errors import TooManyRequests
from patrol.extensions import db
from patrol.localtime import utcnow

ACTION = "people.import.dry_run"
WINDOW = timedelta(hours=1)
_USER_LOCK = 0x4452_5952  # "DRYR", with the user id as the second key


def admit(user):
    """Record this dry run in the audit log (committed), or 429 when the user's hourly limit is reached."""
    db.session.execute(text("SELECT pg_advisory_xact_lock(:k, :user_id)"), {"k": _USER_LOCK, "user_id": user.id})
    since = utcnow() - WINDOW
    done = db.session.execute(
        select(func.count(), func.min(AuditEntry.created_at)).where(
            AuditEntry.actor_id == user.id, AuditEntry.action == ACTION, AuditEntry.created_at > since
        )
    ).one()
    limit = current_app.config["PEOPLE_DRY_RUNS_PER_HOUR"]
    if done[0] >= limit:
        db.session.rollback()
        retry_after = max(1, int((done[1] + WINDOW - utcnow()).total_seconds()) + 1)
        raise TooManyRequests(
            "people.too_many_dry_runs",
            retry_after, limit=limit,
        )
    audit.record(user, ACTION, "person", None, area_prefix(user) or None, {"limit_per_hour": limit})
    db.session.commit()
