"""The caller's contact on an upstream work order: masked everywhere, revealed only with a reason, audited."""

import json

from patrol.audit import service as audit
from patrol.auth.scope import require_role
from patrol.errors import Conflict, Invalid
from patrol.extensions import db
from patrol.incidents import service as incidents
from patrol.open311.models import UpstreamRequest
from patrol.people import crypto

REVEAL_ROLES = ("street_reviewer", "admin")


def reveal(user, incident_id, reason):
    """The plain contact of a work order the user may see (street reviewer, admin), with the reason audited."""
    require_role(user, *REVEAL_ROLES)
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("request.give_reason", {"reason": ["required"]})
    incident = incidents.get_visible(user, incident_id)
    order = db.session.get(UpstreamRequest, incident.id)
    if order is None:
        raise Conflict(
            "request.incident_not_upstream_work", {"source": [incident.source]}
        )
    contact = json.loads(crypto.decrypt(order.contact_enc)) if order.contact_enc else None
    audit.record(user, "open311.contact.reveal", "incident", incident.id, incident.grid_code, {"reason": reason})
    db.session.commit()
    return {"incident_id": incident.id, "upstream_id": order.upstream_id, "contact": contact}
