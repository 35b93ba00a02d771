"""Results back upstream: the outbox of state changes, signed and sent to the client's own callback URL.

A state change of an upstream case writes its delivery in the same transaction (the workflow hook).
`deliver_due` sends what is due, oldest first and never ahead of an earlier undelivered change of the
same case; a failure is retried with exponential backoff until OPEN311_MAX_ATTEMPTS, then it is
`failed` until the street retries it. Redirects and proxies are not followed: nothing is ever sent
anywhere but the callback URL configured for the client.
"""

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError

from patrol.audit import service as audit
from patrol.auth.scope import area_prefix, require_role
from patrol.errors import Conflict, DomainError, Invalid
from patrol.extensions import db
from patrol.localtime import utcnow
from patrol.open311 import clients
from patrol.open311.formats import w3c
from patrol.open311.models import Delivery, UpstreamRequest

STREET_ROLES = ("street_reviewer", "admin")
log = logging.getLogger(__name__)

_DUE = text("""
SELECT o.id FROM open311_outbox o JOIN open311_client c ON c.id = o.client_id
WHERE o.status = 'pending' AND o.next_attempt_at <= :now AND c.active AND c.callback_url IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM open311_outbox p
                  WHERE p.incident_id = o.incident_id AND p.id < o.id AND p.status <> 'delivered')
ORDER BY o.id
LIMIT :batch
FOR UPDATE OF o SKIP LOCKED
""")


def enqueue(incident, event):
    """Workflow hook: an upstream case changed; write its delivery in the same transaction."""
    if incident.source != "upstream":
        return
    order = db.session.get(UpstreamRequest, incident.id)
    if order is None:
        return
    payload = {
        "service_request_id": str(incident.id),
        "upstream_id": order.upstream_id,
        "service_code": order.service_code,
        "status": "closed" if incident.status in ("closed", "rejected") else "open",
        "detailed_status": incident.status,
        "action": event.action,
        "status_notes": event.note,
        "agency_responsible": incident.department.name if incident.department else None,
        "updated_datetime": w3c(event.at),
        "expected_datetime": w3c(order.upstream_deadline),
        "sequence": event.id,
    }
    db.session.add(
        Delivery(
            client_id=order.client_id,
            incident_id=incident.id,
            grid_code=incident.grid_code,
            payload=payload,
            status="pending",
            attempts=0,
            next_attempt_at=event.at,
        )
    )


def body_bytes(payload):
    """The exact bytes sent (and signed)."""
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def signature(secret, timestamp, body):
    """Hex HMAC-SHA256 over `<timestamp>.<body>` with the client's secret."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # a redirect is answered as an error: we only ever talk to the configured URL


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


def _send(url, secret, delivery_id, body):
    """None when the upstream accepted (2xx), else a short reason."""
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "GridPatrol-Open311",
        "X-GridPatrol-Delivery": str(delivery_id),
        "X-GridPatrol-Timestamp": timestamp,
        "X-GridPatrol-Signature": "sha256=" + signature(secret, timestamp, body),
    }
    # The URL is the client's own callback, checked to be http(s) when the admin set it.
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with _OPENER.open(request, timeout=current_app.config["OPEN311_TIMEOUT_SECONDS"]) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return f"unreachable: {type(getattr(exc, 'reason', exc)).__name__}"
    return None if 200 <= status < 300 else f"HTTP {status}"


def _backoff(attempts):
    config = current_app.config
    return min(config["OPEN311_BACKOFF_SECONDS"] * 2 ** (attempts - 1), config["OPEN311_BACKOFF_MAX_SECONDS"])


def _attempt(delivery, now):
    client = delivery.client
    reason = _send(client.callback_url, clients.secret_of(client), delivery.id, body_bytes(delivery.payload))
    delivery.attempts += 1
    if reason is None:
        delivery.status, delivery.delivered_at, delivery.last_error = "delivered", utcnow(), None
        log.info("open311 delivery %s to client %s delivered", delivery.id, client.id)
        return True
    delivery.last_error = reason[:300]
    if delivery.attempts >= current_app.config["OPEN311_MAX_ATTEMPTS"]:
        delivery.status = "failed"
    else:
        delivery.next_attempt_at = now + timedelta(seconds=_backoff(delivery.attempts))
    log.warning(
        "open311 delivery %s to client %s: %s (attempt %s, %s)",
        delivery.id,
        client.id,
        delivery.last_error,
        delivery.attempts,
        delivery.status,
    )
    return False


def deliver_due(now=None, batch=50):
    """Send every due delivery once; -> (delivered, failed attempts). Each row is committed on its own."""
    delivered = failed = 0
    while True:
        now_ = now or utcnow()
        ids = db.session.execute(_DUE, {"now": now_, "batch": 1}).scalars().all()
        if not ids:
            db.session.commit()
            return delivered, failed
        delivery = db.session.get(Delivery, ids[0])
        if _attempt(delivery, now_):
            delivered += 1
        else:
            failed += 1
        db.session.commit()
        if delivered + failed >= batch:
            return delivered, failed


def run_loop(interval, while_pid=None, sleep=time.sleep):
    """Deliver forever (until the process `while_pid`, if given, is gone)."""
    import os

    while while_pid is None or _alive(os, while_pid):
        try:
            delivered, failed = deliver_due()
        except (SQLAlchemyError, DomainError) as exc:  # database away, key problem: keep going, try later
            log.warning("open311 delivery run failed: %s", str(exc).splitlines()[0] if str(exc) else type(exc))
            _forget_session()
            delivered = failed = 0
        if not delivered and not failed:
            sleep(interval)


def _forget_session():
    try:
        db.session.rollback()
    except SQLAlchemyError:
        db.session.remove()


def _alive(os, pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _scoped(user):
    require_role(user, *STREET_ROLES)
    prefix = area_prefix(user)
    query = select(Delivery)
    if prefix is not None:
        query = query.where(Delivery.grid_code.startswith(prefix)) if prefix else query.where(False)
    return query


def list_deliveries(user, statuses=("pending", "failed"), limit=200):
    """Deliveries of the street's upstream cases, by status (default: what is not delivered yet)."""
    query = _scoped(user).where(Delivery.status.in_(statuses)).order_by(Delivery.id).limit(limit)
    return [delivery_dict(d) for d in db.session.execute(query).scalars()]


def retry(user, delivery_ids):
    """Send pending or failed deliveries again at the next run, each with a fresh count of attempts."""
    wanted = sorted(set(delivery_ids))
    rows = (
        db.session.execute(_scoped(user).where(Delivery.id.in_(wanted)).order_by(Delivery.id).with_for_update())
        .scalars()
        .all()
    )
    unknown = sorted(set(wanted) - {d.id for d in rows})
    if unknown:
        db.session.rollback()
        raise Invalid("request.no_such_deliveries", {"ids": unknown})
    delivered = [d.id for d in rows if d.status == "delivered"]
    if delivered:
        db.session.rollback()
        raise Conflict("request.already_delivered", {"ids": delivered})
    now = utcnow()
    for delivery in rows:
        delivery.status, delivery.attempts, delivery.next_attempt_at = "pending", 0, now
        audit.record(user, "open311.delivery.retry", "open311_outbox", delivery.id, delivery.grid_code, {})
    db.session.commit()
    return {"retried": wanted}


def delivery_dict(delivery):
    return {
        "id": delivery.id,
        "client": delivery.client.name,
        "incident_id": delivery.incident_id,
        "upstream_id": delivery.payload.get("upstream_id"),
        "action": delivery.payload.get("action"),
        "status": delivery.status,
        "attempts": delivery.attempts,
        "next_attempt_at": delivery.next_attempt_at,
        "last_error": delivery.last_error,
        "created_at": delivery.created_at,
        "delivered_at": delivery.delivered_at,
    }
