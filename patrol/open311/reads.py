"""GeoReport v2 reads: the client's own work orders as service requests (no personal data), tokens."""

import uuid
from datetime import datetime, timedelta

from geoalchemy2.shape import to_shape
from sqlalchemy import select

from patrol.areas.models import Area
from patrol.extensions import db
from patrol.incidents.models import Incident, IncidentEvent
from patrol.localtime import utcnow
from patrol.open311.formats import Open311Error, w3c
from patrol.open311.models import UpstreamRequest

CLOSED = ("closed", "rejected")
MAX_WINDOW = timedelta(days=90)
MAX_RESULTS = 1000


def token_answer(client, token):
    order = db.session.execute(
        select(UpstreamRequest).where(UpstreamRequest.client_id == client.id, UpstreamRequest.token == token)
    ).scalar_one_or_none()
    if order is None:
        raise Open311Error(404, "unknown token")
    return [{"service_request_id": str(order.incident_id), "token": order.token}]


def _status_notes(incident_id):
    """The latest note of the case's history (a resolve, close, reject or send-back note)."""
    return db.session.execute(
        select(IncidentEvent.note)
        .where(IncidentEvent.incident_id == incident_id, IncidentEvent.note.isnot(None))
        .order_by(IncidentEvent.id.desc())
        .limit(1)
    ).scalar()


def open311_status(incident):
    return "closed" if incident.status in CLOSED else "open"


def request_dict(order, incident):
    """One service request as the spec names its fields (no personal data)."""
    point = to_shape(incident.location)
    return {
        "service_request_id": str(incident.id),
        "status": open311_status(incident),
        "status_notes": _status_notes(incident.id),
        "service_name": incident.category.name,
        "service_code": order.service_code,
        "description": incident.description,
        "agency_responsible": incident.department.name if incident.department else _street_name(incident),
        "service_notice": None,
        "requested_datetime": w3c(order.received_at),
        "updated_datetime": w3c(incident.updated_at),
        "expected_datetime": w3c(order.upstream_deadline),
        "address": order.address,
        "address_id": None,
        "zipcode": None,
        "lat": point.y,
        "long": point.x,
        "media_url": order.media_url,
    }


def _street_name(incident):
    return db.session.execute(select(Area.name).where(Area.code == incident.grid_code[:9])).scalar()


def _ids(raw):
    ids = []
    for part in raw.split(","):
        try:
            ids.append(uuid.UUID(part.strip()))
        except ValueError:
            raise Open311Error(400, f"invalid service_request_id {part.strip()[:40]}") from None
    if len(ids) > MAX_RESULTS:
        raise Open311Error(400, f"at most {MAX_RESULTS} service_request_id values")
    return ids


def _moment(args, name):
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise Open311Error(400, f"{name} must be an ISO 8601 date-time") from None
    if value.tzinfo is None:
        raise Open311Error(400, f"{name} needs a time zone")
    return value


def _window(args):
    start, end = _moment(args, "start_date"), _moment(args, "end_date")
    if end is None:
        end = utcnow() if start is None else start + MAX_WINDOW
    if start is None:
        start = end - MAX_WINDOW
    if end < start:
        raise Open311Error(400, "end_date is before start_date")
    if end - start > MAX_WINDOW:
        raise Open311Error(400, "start_date to end_date spans more than 90 days")
    return start, end


def _statuses(raw):
    wanted = {part.strip() for part in raw.split(",") if part.strip()}
    if not wanted <= {"open", "closed"}:
        raise Open311Error(400, "status must be open or closed")
    return wanted


def list_requests(client, args):
    """GET requests: the client's own work orders by ids, or by service_code, status and date window."""
    query = select(UpstreamRequest, Incident).join(Incident, Incident.id == UpstreamRequest.incident_id)
    query = query.where(UpstreamRequest.client_id == client.id)
    if (args.get("service_request_id") or "").strip():  # the spec: then every other parameter is ignored
        query = query.where(UpstreamRequest.incident_id.in_(_ids(args["service_request_id"])))
        return _request_rows(query)
    start, end = _window(args)
    query = query.where(UpstreamRequest.received_at >= start, UpstreamRequest.received_at <= end)
    if (args.get("service_code") or "").strip():
        codes = [c.strip() for c in args["service_code"].split(",") if c.strip()]
        query = query.where(UpstreamRequest.service_code.in_(codes))
    if (args.get("status") or "").strip():
        wanted = _statuses(args["status"])
        if wanted == {"open"}:
            query = query.where(Incident.status.notin_(CLOSED))
        elif wanted == {"closed"}:
            query = query.where(Incident.status.in_(CLOSED))
    return _request_rows(query)


def _request_rows(query):
    rows = db.session.execute(query.order_by(UpstreamRequest.received_at.desc()).limit(MAX_RESULTS)).all()
    return [request_dict(order, incident) for order, incident in rows]


def get_request(client, request_id):
    try:
        ident = uuid.UUID(request_id)
    except ValueError:
        raise Open311Error(404, "unknown service_request_id") from None
    order = db.session.get(UpstreamRequest, ident)
    if order is None or order.client_id != client.id:
        raise Open311Error(404, "unknown service_request_id")
    return [request_dict(order, db.session.get(Incident, ident))]


def upstream_fields(incident):
    """incident_dict hook: the upstream reference of a work order (client, its id, deadline, masked contact)."""
    if incident.source != "upstream":
        return {"upstream": None}
    order = db.session.get(UpstreamRequest, incident.id)
    if order is None:
        return {"upstream": None}
    return {
        "upstream": {
            "client": order.client.name,
            "upstream_id": order.upstream_id,
            "deadline": order.upstream_deadline,
            "address": order.address,
            "contact": order.contact_masked,
        }
    }
