"""GeoReport v2: services from the incident categories, work orders in as accepted incidents, and reads."""

import json
import math
import secrets
import uuid
from datetime import datetime, timedelta

from geoalchemy2.shape import to_shape
from shapely.geometry import Point
from sqlalchemy import func, select, text
from sqlalchemy.orm import aliased

from patrol.areas.models import Area
from patrol.areas.queries import grid_at
from patrol.extensions import db
from patrol.geo import in_china
from patrol.incidents import service as incidents
from patrol.incidents.deadlines import due_time
from patrol.incidents.models import Category, Incident, IncidentEvent
from patrol.localtime import utcnow
from patrol.open311.formats import Open311Error, w3c
from patrol.open311.models import UpstreamRequest
from patrol.people import crypto, idcard

# The attributes every service takes (GET services/{code} describes them); documented in docs/open311.md.
ATTRIBUTES = [
    {
        "variable": True,
        "code": "upstream_id",
        "datatype": "string",
        "required": True,
        "datatype_description": "工单编号，最长 100 个字符 / the work order's id upstream, at most 100 characters",
        "order": 1,
        "description": "上级工单编号 / upstream work-order id",
        "values": [],
    },
    {
        "variable": True,
        "code": "deadline",
        "datatype": "datetime",
        "required": False,
        "datatype_description": "ISO 8601 with time zone, e.g. 2026-12-03T18:00:00+08:00",
        "order": 2,
        "description": "上级办结时限（缺省按类别时限）/ the upstream deadline (default: the category's)",
        "values": [],
    },
]
CLOSED = ("closed", "rejected")
MAX_WINDOW = timedelta(days=90)
MAX_RESULTS = 1000


def _leaf_categories():
    """(sub-category, its top-level category) for every active category without children."""
    leaf, top, child = aliased(Category), aliased(Category), aliased(Category)
    has_children = select(child.id).where(child.parent_id == leaf.id).exists()
    return db.session.execute(
        select(leaf, top)
        .outerjoin(top, top.id == leaf.parent_id)
        .where(leaf.active, ~has_children)
        .order_by(func.coalesce(top.sort, leaf.sort), top.code, leaf.sort, leaf.code)
    ).all()


def services():
    """One service per active sub-category; group = its top-level category's name."""
    return [
        {
            "service_code": leaf.code,
            "service_name": leaf.name,
            "description": f"{top.name if top else leaf.name} / {leaf.name}",
            "metadata": True,
            "type": "realtime",
            "keywords": "",
            "group": top.name if top else leaf.name,
        }
        for leaf, top in _leaf_categories()
    ]


def _service_category(code):
    for leaf, _top in _leaf_categories():
        if leaf.code == code:
            return leaf
    raise Open311Error(404, f"unknown service_code {code}")


def service_definition(code):
    return {"service_code": _service_category(code).code, "attributes": ATTRIBUTES}


def _required(form, name):
    value = (form.get(name) or "").strip()
    if not value:
        raise Open311Error(400, f"{name} is required")
    return value


def _coordinate(form, name, low, high):
    raw = _required(form, name)
    try:
        value = float(raw)
    except ValueError:
        raise Open311Error(400, f"{name} must be a number") from None
    if not math.isfinite(value) or not low <= value <= high:
        raise Open311Error(400, f"{name} is out of range")
    return value


def _deadline(form, received_at, category):
    raw = (form.get("attribute[deadline]") or "").strip()
    if not raw:
        return due_time(received_at, category.deadline_value, category.deadline_unit)
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise Open311Error(400, "attribute[deadline] must be an ISO 8601 date-time with time zone") from None
    if value.tzinfo is None:
        raise Open311Error(400, "attribute[deadline] needs a time zone")
    if value <= received_at or value > received_at + timedelta(days=366):
        raise Open311Error(400, "attribute[deadline] must lie within the next year")
    return value


def _limited(form, name, limit):
    value = (form.get(name) or "").strip()
    if len(value) > limit:
        raise Open311Error(400, f"{name} is longer than {limit} characters")
    return value or None


def _contact(form):
    """The caller's contact (personal data): encrypted as a whole, and a masked copy to show."""
    fields = {key: _limited(form, key, 100) for key in ("first_name", "last_name", "phone", "email")}
    if not any(fields.values()):
        return None, None
    masked = {
        "name": _mask_name((fields["last_name"] or "") + (fields["first_name"] or "")),
        "phone": idcard.mask_phone(fields["phone"]) if fields["phone"] else None,
        "email": _mask_email(fields["email"]),
    }
    return crypto.encrypt(json.dumps(fields, ensure_ascii=False)), masked


def _mask_name(name):
    return (name[0] + "*" * (len(name) - 1)) if name else None


def _mask_email(email):
    if not email or "@" not in email:
        return None if not email else "***"
    local, _, domain = email.partition("@")
    return local[:1] + "***@" + domain


def _media_url(form):
    url = _limited(form, "media_url", 1000)
    if url and not url.lower().startswith(("http://", "https://")):
        raise Open311Error(400, "media_url must be an http(s) URL")
    return url


def _grid(client, lon, lat):
    if not in_china(lon, lat):
        raise Open311Error(400, "lat/long lie outside every grid")
    grid_id = grid_at(lon, lat, 50, code_prefix=client.area_code)
    if grid_id is None:
        raise Open311Error(400, "lat/long lie outside every grid")
    return db.session.get(Area, grid_id)


def create_request(client, form):
    """POST requests: a work order becomes an accepted incident; the same upstream id answers the same id."""
    category = _service_category(_required(form, "service_code"))
    upstream_id = _limited(form, "attribute[upstream_id]", 100)
    if not upstream_id:
        raise Open311Error(400, "attribute[upstream_id] is required")
    lat = _coordinate(form, "lat", -90, 90)
    lon = _coordinate(form, "long", -180, 180)
    description = _limited(form, "description", 4000) or ""
    address = _limited(form, "address_string", 500)
    media_url = _media_url(form)
    db.session.execute(
        text("SELECT pg_advisory_xact_lock(:client, hashtext(:upstream))"),
        {"client": client.id, "upstream": upstream_id},
    )
    existing = _by_upstream_id(client, upstream_id)
    if existing is not None:
        db.session.rollback()
        return existing, False
    received_at = utcnow()
    deadline = _deadline(form, received_at, category)
    grid = _grid(client, lon, lat)
    contact_enc, contact_masked = _contact(form)
    incident_id = uuid.uuid4()
    incidents.receive_external(
        incident_id,
        grid,
        Point(lon, lat),
        category,
        description,
        received_at,
        deadline,
        {"source": "open311", "client": client.name, "upstream_id": upstream_id},
    )
    order = UpstreamRequest(
        incident_id=incident_id,
        client_id=client.id,
        upstream_id=upstream_id,
        token=secrets.token_hex(16),
        service_code=category.code,
        upstream_deadline=deadline,
        address=address,
        media_url=media_url,
        contact_enc=contact_enc,
        contact_masked=contact_masked,
        received_at=received_at,
    )
    db.session.add(order)
    db.session.commit()
    return order, True


def _by_upstream_id(client, upstream_id):
    query = select(UpstreamRequest).where(
        UpstreamRequest.client_id == client.id, UpstreamRequest.upstream_id == upstream_id
    )
    return db.session.execute(query).scalar_one_or_none()


def post_answer(order, created):
    notice = "已受理，转网格处置 / accepted, passed to the grid" if created else "重复工单 / already received"
    return [{"service_request_id": str(order.incident_id), "service_notice": notice, "account_id": None}]


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
