"""Writing and verifying the tamper-evident audit log."""

import hashlib
import json
from datetime import UTC, datetime

from flask import has_request_context, request
from sqlalchemy import select, text

from patrol.audit.models import AuditEntry
from patrol.auth import roles
from patrol.extensions import db

GENESIS = "0" * 64
_CHAIN_LOCK = 7_246_001  # advisory lock key serialising appends to the chain


def _entry_digest(prev_hash, created_at, actor_id, action, object_type, object_id, area_code, address, detail):
    payload = json.dumps(
        [prev_hash, created_at.isoformat(), actor_id, action, object_type, object_id, area_code, address, detail],
        sort_keys=True,
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def client_address():
    return request.remote_addr if has_request_context() else None


def record(actor, action, object_type=None, object_id=None, area_code=None, detail=None):
    """Append an audit entry to the current transaction; the caller's commit makes it durable."""
    db.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CHAIN_LOCK})
    prev = db.session.execute(select(AuditEntry.entry_hash).order_by(AuditEntry.id.desc()).limit(1)).scalar()
    prev = prev or GENESIS
    created_at = datetime.now(UTC)
    address = client_address()
    detail = detail or {}
    object_id = None if object_id is None else str(object_id)
    actor_id = getattr(actor, "id", None)
    entry = AuditEntry(
        created_at=created_at,
        actor_id=actor_id,
        actor_username=getattr(actor, "username", None),
        action=action,
        object_type=object_type,
        object_id=object_id,
        area_code=area_code,
        client_address=address,
        detail=detail,
        prev_hash=prev,
        entry_hash=_entry_digest(
            prev, created_at, actor_id, action, object_type, object_id, area_code, address, detail
        ),
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def verify_chain():
    """Walk the log in order; return (entries checked, id of the first broken entry or None)."""
    prev = GENESIS
    checked = 0
    for entry in db.session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars().yield_per(1000):
        address = None if entry.client_address is None else str(entry.client_address)
        digest = _entry_digest(
            prev,
            entry.created_at.astimezone(UTC),
            entry.actor_id,
            entry.action,
            entry.object_type,
            entry.object_id,
            entry.area_code,
            address,
            entry.detail,
        )
        if entry.prev_hash != prev or entry.entry_hash != digest:
            return checked, entry.id
        prev = entry.entry_hash
        checked += 1
    return checked, None


def list_entries(user, action=None, before_id=None, limit=100):
    """Audit entries in the caller's area, newest first (admins and street reviewers)."""
    from patrol.auth.scope import area_prefix, require_role

    require_role(user, *roles.STREET_STAFF)
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    prefix = area_prefix(user)
    if prefix is not None:
        query = query.where(AuditEntry.area_code.startswith(prefix))
    if action:
        query = query.where(AuditEntry.action == action)
    if before_id:
        query = query.where(AuditEntry.id < before_id)
    return db.session.execute(query).scalars().all()
