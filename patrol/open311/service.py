"""GeoReport v2: services from the incident categories, and work orders in as accepted incidents."""

import json
import math
import secrets
import uuid
from datetime import datetime, timedelta

from shapely.geometry import Point
from sqlalchemy import func, select, text
from sqlalchemy.orm import aliased

from patrol import messages
from patrol.areas.models import Area
from patrol.areas.queries import grid_at
from patrol.extensions import db
from patrol.geo import in_china
from patrol.incidents import external
from patrol.incidents.deadlines import due_time
from patrol.incidents.models import Category
from patrol.localtime import utcnow
from patrol.open311.formats import Open311Error
from patrol.open311.models import UpstreamRequest
from patrol.people import crypto, idcard

# The attributes every service takes (GET services/{code} describes them); documented in docs/open311.md.
ATTRIBUTES = [
    {
        "variable": True,
        "code": "upstream_id",
        "datatype": "string",
        "required": True,
        "datatype_description": messages.text("request.work_order_s_id"),
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
    external.receive_external(
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
    notice = messages.text("request.accepted_passed_grid") if created else messages.text("request.already_received")
    return [{"service_request_id": str(order.incident_id), "service_notice": notice, "account_id": None}]
