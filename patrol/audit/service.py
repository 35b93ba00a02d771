"""Writing and verifying the tamper-evident audit log.

Each entry carries an HMAC-SHA256 (key AUDIT_KEY, never in the database) over its fields and the previous
entry's hash, so the database's own role cannot re-chain an edit; the newest hash is anchored in a file
outside the database after every commit (patrol/audit/anchor.py), so dropped entries are detected too.
"""

import hashlib
import hmac
import json
import logging
from datetime import UTC, datetime

from flask import current_app, has_request_context, request
from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from patrol.audit import anchor
from patrol.audit.models import AuditEntry
from patrol.auth import roles
from patrol.extensions import db

log = logging.getLogger(__name__)
GENESIS = "0" * 64
_CHAIN_LOCK = 7_246_001  # advisory lock key serialising appends to the chain
_PENDING = "audit_anchor"  # session.info key: the entry to anchor once the transaction commits


def entry_payload(prev_hash, created_at, actor_id, action, object_type, object_id, area_code, address, detail):
    """The canonical bytes an entry's hash covers."""
    return json.dumps(
        [prev_hash, created_at.isoformat(), actor_id, action, object_type, object_id, area_code, address, detail],
        sort_keys=True,
        ensure_ascii=False,
        default=str,
    ).encode()


def keyed_digest(key, payload):
    """HMAC-SHA256 of an entry's payload under AUDIT_KEY."""
    return hmac.new(key.encode(), payload, hashlib.sha256).hexdigest()


def _entry_digest(*fields):
    return keyed_digest(current_app.config["AUDIT_KEY"], entry_payload(*fields))


@event.listens_for(Session, "after_commit")
def _anchor_after_commit(session):
    pending = session.info.pop(_PENDING, None)
    if pending is None:
        return
    directory, key, entry_id, entry_hash, follows = pending
    try:
        if not anchor.write_anchor(directory, key, entry_id, entry_hash, follows=follows):
            log.error("audit log: entries up to the anchor are missing; the anchor is kept (see audit-verify)")
    except OSError as error:  # the commit stands; audit-verify reports the stale anchor
        log.error("audit anchor not written to AUDIT_ANCHOR_DIR: %s", error.strerror)


@event.listens_for(Session, "after_rollback")
def _forget_pending_anchor(session):
    session.info.pop(_PENDING, None)


def client_address():
    return request.remote_addr if has_request_context() else None


def record(actor, action, object_type=None, object_id=None, area_code=None, detail=None):
    """Append an audit entry to the current transaction; the caller's commit makes it durable."""
    db.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CHAIN_LOCK})
    newest = select(AuditEntry.id, AuditEntry.entry_hash).order_by(AuditEntry.id.desc()).limit(1)
    head = db.session.execute(newest).first()
    prev = head.entry_hash if head else GENESIS
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
    config = current_app.config
    pending = db.session.info.get(_PENDING)
    follows = pending[4] if pending else _head_following_anchor(head)
    db.session.info[_PENDING] = (config["AUDIT_ANCHOR_DIR"], config["AUDIT_KEY"], entry.id, entry.entry_hash, follows)
    return entry


def _head_following_anchor(head):
    """The id of the chain head this transaction extends, or -1 when the anchored entry is gone or changed.

    -1 keeps the anchor where it is, so that removed entries stay detected even after later appends reuse
    their ids; audit-reanchor moves it after a legitimate restore.
    """
    config = current_app.config
    try:
        anchored = anchor.read_anchor(config["AUDIT_ANCHOR_DIR"], config["AUDIT_KEY"])
    except ValueError:
        return -1
    if anchored is None:
        return head.id if head else 0
    stored = db.session.execute(select(AuditEntry.entry_hash).where(AuditEntry.id == anchored[0])).scalar()
    if stored is None or not hmac.compare_digest(stored, anchored[1]):
        return -1
    return head.id if head else 0


def verify_chain():
    """Walk the log in order; return (entries checked, id of the first broken entry or None, last entry)."""
    prev = GENESIS
    checked = 0
    last = None
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
        if entry.prev_hash != prev or not hmac.compare_digest(entry.entry_hash, digest):
            return checked, entry.id, last
        prev = entry.entry_hash
        checked += 1
        last = (entry.id, entry.entry_hash)
    return checked, None, last


def verify():
    """The chain and its anchor; (entries checked, problem or None). A problem is a sentence for the operator."""
    checked, broken, last = verify_chain()
    if broken is not None:
        return checked, f"audit chain BROKEN at entry {broken} (after {checked} good entries)"
    config = current_app.config
    try:
        anchored = anchor.read_anchor(config["AUDIT_ANCHOR_DIR"], config["AUDIT_KEY"])
    except ValueError as error:
        return checked, f"audit anchor BROKEN: {error}"
    if anchored is None:
        if last is not None:
            return checked, "audit anchor MISSING: the log has entries but no anchor (run audit-reanchor if restored)"
        return checked, None
    anchored_id, anchored_hash = anchored
    if last is None or last[0] < anchored_id:
        newest = "none" if last is None else last[0]
        return checked, f"audit log TRUNCATED: anchored entry {anchored_id} missing (newest is {newest})"
    row = db.session.get(AuditEntry, anchored_id)
    if row is None or not hmac.compare_digest(row.entry_hash, anchored_hash):
        return checked, f"audit anchor MISMATCH at entry {anchored_id}"
    return checked, None


def reanchor(actor=None):
    """After a legitimate restore: check the chain, record the event, anchor the newest entry."""
    checked, broken, last = verify_chain()
    if broken is not None:
        return checked, broken
    config = current_app.config
    try:
        previous = anchor.read_anchor(config["AUDIT_ANCHOR_DIR"], config["AUDIT_KEY"])
    except ValueError:
        previous = None
    entry = record(
        actor,
        "audit.reanchor",
        detail={"previous_anchor": previous[0] if previous else None, "newest_before": last[0] if last else None},
    )
    db.session.commit()
    anchor.write_anchor(config["AUDIT_ANCHOR_DIR"], config["AUDIT_KEY"], entry.id, entry.entry_hash, force=True)
    return checked + 1, None


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
