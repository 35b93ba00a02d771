"""Reporting incidents, reading them and the rules of who sees what."""

import base64
import binascii
import uuid
from datetime import timedelta

from shapely.geometry import Point
from sqlalchemy import String, and_, cast, false, or_, select, true
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import selectinload

from patrol import messages
from patrol.areas.models import Area
from patrol.areas.queries import grid_at
from patrol.auth import roles
from patrol.auth.models import User
from patrol.auth.scope import area_prefix, require_role, visible_grid_ids
from patrol.errors import Forbidden, Invalid, NotFound, replay_or_conflict
from patrol.extensions import db
from patrol.fields import parse_instant
from patrol.geo import GeometryError, in_china, parse_point, to_db, to_geojson
from patrol.incidents import catalog, departments, queries
from patrol.incidents.models import OPEN_STATUSES, Category, Incident, IncidentEvent
from patrol.localtime import local_midnight, utcnow
from patrol.photos import service as photos
from patrol.photos.models import PhotoUse

ACTIVE_STATUSES = ("dispatched", "in_progress", "resolved")  # the deadline runs
# hook(incident) -> dict of extra fields for incident_dict (e.g. the upstream reference of a work order).
DICT_HOOKS = []


def visible_clause(user):
    """SQL condition limiting incidents to what the user may see."""
    if user.role == "worker":
        return or_(Incident.grid_id.in_(visible_grid_ids(user)), Incident.reporter_id == user.id)
    if user.role == "department":
        return departments.visible_incidents_clause(user)
    prefix = area_prefix(user)
    if prefix is None:
        return true()
    return Incident.grid_code.startswith(prefix) if prefix else false()


def _department_photo_uses(user):
    """A department sees the photos of the cases it sees (and only those)."""
    if user.role != "department":
        return None
    return (
        select(PhotoUse.id)
        .join(Incident, and_(PhotoUse.record_type == "incident", PhotoUse.record_id == cast(Incident.id, String)))
        .where(visible_clause(user))
    )


photos.VISIBILITY_HOOKS.append(_department_photo_uses)


def overdue_clause(now=None):
    return and_(Incident.status.in_(ACTIVE_STATUSES), Incident.due_at < (now or utcnow()))


def _point(location):
    """GeoJSON dict, Shapely point or (lon, lat) -> Shapely point inside China."""
    try:
        if isinstance(location, dict):
            return parse_point(location)
        geom = location if isinstance(location, Point) else Point(*location)
    except (GeometryError, TypeError, ValueError) as exc:
        raise Invalid("incident.invalid_location", {"location": [str(exc)]}, exc=exc) from None
    if geom.geom_type != "Point" or not in_china(geom.x, geom.y):
        raise Invalid("incident.location_outside_china", {"location": [messages.text("field.outside_china")]})
    return geom


def _report_scope(user):
    """Code prefix of where the user may report: a worker's street, else the user's own area."""
    if user.role == "worker":
        return user.area.code[:9] if user.area else ""
    return area_prefix(user)


def locate_grid(user, geom):
    """The grid of a report: containing or nearest within 50 m, inside the caller's area."""
    scope = _report_scope(user)
    if scope == "":
        raise Forbidden("incident.account_without_area")
    grid_id = grid_at(geom.x, geom.y, 50, code_prefix=scope)
    if grid_id is None:
        if scope is not None and grid_at(geom.x, geom.y, 50) is not None:
            raise Forbidden(
                "incident.location_outside_area",
                {"location": [messages.text("field.outside_your_area")]},
            )
        raise Invalid(
            "incident.no_grid_near_location",
            {"location": [messages.text("field.no_grid_here")]},
        )
    return db.session.get(Area, grid_id)


def _reported_at(value):
    now = utcnow()
    if value is None:
        return now
    if value.tzinfo is None:
        raise Invalid("incident.time_zone_required", {"reported_at": [messages.text("field.naive_datetime")]})
    if value > now + timedelta(minutes=10):
        raise Invalid("incident.reported_in_future", {"reported_at": [messages.text("field.in_future")]})
    if value < now - timedelta(days=90):  # a phone offline for months has a clock problem, not a backlog
        raise Invalid("incident.reported_too_long_ago", {"reported_at": [messages.text("field.too_old")]})
    return value


def report_incident(user, data, *, commit=True):
    """Create an incident from a loaded report (replay of the same id returns it); -> (incident, created)."""
    require_role(user, *roles.FIELD_AND_STAFF)
    incident_id = data["id"] if isinstance(data["id"], uuid.UUID) else uuid.UUID(str(data["id"]))
    existing = db.session.get(Incident, incident_id)
    if existing is not None:
        return _replayed(user, existing)
    row = _new_row(user, incident_id, data)
    # Photos first: an unknown photo refuses the report before anything is written.
    photo_ids = photos.attach_photos(user, data.get("photo_ids") or [], "incident", incident_id, row["grid_id"])
    inserted = db.session.execute(insert(Incident).values(row).on_conflict_do_nothing().returning(Incident.id))
    if inserted.scalar() is None:  # the same id arrived concurrently
        return _replayed(user, db.session.get(Incident, incident_id))
    db.session.add(
        IncidentEvent(
            incident_id=incident_id,
            action="report",
            from_status=None,
            to_status=row["status"],
            actor_id=user.id,
            at=row["reported_at"],
            note=row["note"],
            photo_ids=photo_ids,
            detail={"handled_on_spot": row["handled_on_spot"]},
        )
    )
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return db.session.get(Incident, incident_id), True


def _new_row(user, incident_id, data):
    """The checked columns of a new incident: location in scope, sub-category, note when handled on the spot."""
    geom = _point(data["location"])
    category = catalog.reportable_category(data["category"])
    grid = locate_grid(user, geom)
    on_spot = bool(data.get("handled_on_spot"))
    note = (data.get("note") or "").strip() or None
    if on_spot and not note:
        raise Invalid("incident.on_spot_needs_note", {"note": [messages.text("field.required")]})
    reported_at = _reported_at(data.get("reported_at"))
    _check_own_records(user, data)
    return {
        "id": incident_id,
        "reporter_id": user.id,
        "grid_id": grid.id,
        "grid_code": grid.code,
        "district_code": grid.district_code,
        "location": to_db(geom),
        "category_id": category.id,
        "description": (data.get("description") or "").strip(),
        "source": data.get("source") or "patrol",
        "patrol_id": data.get("patrol_id"),
        "visit_id": data.get("visit_id"),
        "status": "closed" if on_spot else "reported",
        "handled_on_spot": on_spot,
        "note": note,
        "reported_at": reported_at,
        "closed_at": reported_at if on_spot else None,
        "version": 1,
        "updated_at": utcnow(),
    }


def _check_own_records(user, data):
    """A report may not name another worker's patrol or visit (an id not stored yet is kept: the phone may
    send the report before its patrol or visit, and a client UUID of someone else's record is not guessable)."""
    from patrol.patrols.models import Patrol
    from patrol.people.models import Visit

    for field, model in (("patrol_id", Patrol), ("visit_id", Visit)):
        if data.get(field) is None:
            continue
        owner = db.session.execute(select(model.worker_id).where(model.id == data[field])).scalar_one_or_none()
        if owner is not None and owner != user.id:
            raise Invalid(
                "incident.name_only_own_patrol", {field: ["not your record"]}
            )


def _replayed(user, incident):
    message = messages.text("incident.id_belongs_another_incident")
    return replay_or_conflict(incident, incident.reporter_id == user.id, message, {"id": ["taken"]}), False


def report(user, data):
    """POST /incidents: the incident, whether it was new, and possible duplicates nearby."""
    incident, created = report_incident(user, data)
    answer = incident_dict(incident, user, detail=True)
    answer["possible_duplicates"] = [] if incident.handled_on_spot else _visible_duplicates(user, incident.id)
    return answer, created


def _visible_duplicates(user, incident_id):
    """Possible duplicates the caller may see (a worker is not shown cases of grids they do not hold)."""
    candidates = queries.possible_duplicates(incident_id)
    if not candidates:
        return []
    ids = [c["id"] for c in candidates]
    visible = set(db.session.execute(select(Incident.id).where(Incident.id.in_(ids), visible_clause(user))).scalars())
    return [c for c in candidates if c["id"] in visible]


def get_visible(user, incident_id, lock=False):
    """The incident if the user may see it, else 404 (its existence is not revealed)."""
    query = select(Incident).where(Incident.id == incident_id, visible_clause(user))
    if lock:
        query = query.with_for_update(of=Incident).execution_options(populate_existing=True)
    incident = db.session.execute(query).scalar_one_or_none()
    if incident is None:
        raise NotFound("incident.no_such_incident")
    return incident


def get_incident(user, incident_id):
    return incident_dict(get_visible(user, incident_id), user, detail=True)


def _encode_cursor(incident):
    raw = f"{incident.reported_at.isoformat()}|{incident.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode_cursor(cursor):
    try:
        moment, _, ident = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        return parse_instant(moment), uuid.UUID(ident)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise Invalid("incident.invalid_cursor", {"cursor": [messages.text("field.invalid")]}) from None


def _filters(query, filters):
    if filters.get("status"):
        query = query.where(Incident.status.in_(filters["status"]))
    if filters.get("category"):
        codes = select(Category.id).where(Category.code.startswith(filters["category"]))
        query = query.where(Incident.category_id.in_(codes))
    for key in ("department_id", "grid_id", "source", "handled_on_spot"):
        if filters.get(key) is not None:
            query = query.where(getattr(Incident, key) == filters[key])
    if filters.get("overdue") is not None:
        clause = overdue_clause()
        query = query.where(clause if filters["overdue"] else ~clause)
    if filters.get("date_from"):
        query = query.where(Incident.reported_at >= local_midnight(filters["date_from"]))
    if filters.get("date_to"):
        query = query.where(Incident.reported_at < local_midnight(filters["date_to"] + timedelta(days=1)))
    if filters.get("mine"):
        query = query.where(Incident.reporter_id == filters["user_id"])
    if filters.get("open") is not None:
        is_open = Incident.status.in_(OPEN_STATUSES)
        query = query.where(is_open if filters["open"] else ~is_open)
    return query


def list_incidents(user, limit=50, cursor=None, **filters):
    """Newest first; keyset pagination: pass next_cursor back as cursor for the next page."""
    query = select(Incident).where(visible_clause(user))
    query = _filters(query, {**filters, "user_id": user.id})
    if cursor:
        moment, ident = _decode_cursor(cursor)
        query = query.where(
            or_(Incident.reported_at < moment, and_(Incident.reported_at == moment, Incident.id < ident))
        )
    query = query.options(
        selectinload(Incident.category).selectinload(Category.parent), selectinload(Incident.department)
    )
    rows = db.session.execute(query.order_by(Incident.reported_at.desc(), Incident.id.desc()).limit(limit + 1))
    incidents = rows.scalars().all()
    more = len(incidents) > limit
    incidents = incidents[:limit]
    _load_grids_and_reporters(incidents)
    return {
        "items": [incident_dict(i, user) for i in incidents],
        "next_cursor": _encode_cursor(incidents[-1]) if more else None,
    }


def _load_grids_and_reporters(incidents):
    """Load the grids and reporters of a page of incidents in two queries (incident_dict then finds them loaded)."""
    grid_ids = {i.grid_id for i in incidents}
    reporter_ids = {i.reporter_id for i in incidents if i.reporter_id}
    if grid_ids:
        db.session.execute(select(Area).where(Area.id.in_(grid_ids))).scalars().all()
    if reporter_ids:
        db.session.execute(select(User).where(User.id.in_(reporter_ids))).scalars().all()


def etag(incident):
    return f'"{incident.id}.{incident.version}"'


def incident_dict(incident, user, detail=False):
    """The incident as the API shows it; detail adds history, photos and merged duplicates."""
    from patrol.incidents.workflow import allowed_actions

    category = incident.category
    parent = category.parent
    grid = db.session.get(Area, incident.grid_id)
    reporter = db.session.get(User, incident.reporter_id) if incident.reporter_id else None
    now = utcnow()
    body = {
        "id": incident.id,
        "status": incident.status,
        "category": {
            "code": category.code,
            "name": category.name,
            "parent_code": parent.code if parent else None,
            "parent_name": parent.name if parent else None,
        },
        "description": incident.description,
        "source": incident.source,
        "location": to_geojson(incident.location),
        "grid": {"id": grid.id, "code": grid.code, "name": grid.name},
        "reporter": {"id": reporter.id, "full_name": reporter.full_name} if reporter else None,
        "department": (
            {"id": incident.department.id, "name": incident.department.name} if incident.department else None
        ),
        "patrol_id": incident.patrol_id or incident.pending_patrol_id,
        "visit_id": incident.visit_id,
        "handled_on_spot": incident.handled_on_spot,
        "note": incident.note,
        "reported_at": incident.reported_at,
        "accepted_at": incident.accepted_at,
        "dispatched_at": incident.dispatched_at,
        "due_at": incident.due_at,
        "resolved_at": incident.resolved_at,
        "closed_at": incident.closed_at,
        "overdue": bool(incident.status in ACTIVE_STATUSES and incident.due_at and incident.due_at < now),
        "closed_late": bool(incident.status == "closed" and incident.due_at and incident.closed_at > incident.due_at),
        "rework_count": incident.rework_count,
        "reopen_count": incident.reopen_count,
        "merged_into": incident.merged_into,
        "version": incident.version,
        "updated_at": incident.updated_at,
        "allowed_actions": allowed_actions(user, incident),
        "upstream_deadline": incident.external_due_at,
    }
    for hook in DICT_HOOKS:
        body.update(hook(incident) or {})
    if detail:
        body["photo_ids"] = photos.photos_of("incident", incident.id)
        body["history"] = history(incident.id)
        open_case = incident.status in OPEN_STATUSES and incident.merged_into is None
        body["possible_duplicates"] = _visible_duplicates(user, incident.id) if open_case else []
        body["merged_from"] = [
            {"id": other.id, "reporter_id": other.reporter_id, "reported_at": other.reported_at}
            for other in db.session.execute(
                select(Incident).where(Incident.merged_into == incident.id).order_by(Incident.reported_at)
            ).scalars()
        ]
    return body


def history(incident_id):
    """Every action on the incident, oldest first."""
    rows = db.session.execute(
        select(IncidentEvent, User.full_name)
        .outerjoin(User, User.id == IncidentEvent.actor_id)
        .where(IncidentEvent.incident_id == incident_id)
        .order_by(IncidentEvent.id)
    ).all()
    return [
        {
            "action": event.action,
            "from_status": event.from_status,
            "to_status": event.to_status,
            "actor_id": event.actor_id,
            "actor_name": name,
            "at": event.at,
            "note": event.note,
            "department_id": event.department_id,
            "photo_ids": list(event.photo_ids or []),
            "detail": event.detail,
        }
        for event, name in rows
    ]
