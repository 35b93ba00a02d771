"""Logging visits (idempotent by the phone's UUID), with photos, patrol link and an optional incident."""

import uuid
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from patrol import messages
from patrol.auth import roles
from patrol.errors import Invalid, NotFound, replay_or_conflict
from patrol.extensions import db
from patrol.geo import from_db, to_db, to_geojson
from patrol.localtime import local_date, utcnow
from patrol.patrols import published as patrols
from patrol.people import queries, service
from patrol.people.models import Person, Visit

MAX_AGE = timedelta(days=90)  # an offline phone may hold a visit for a long time; older is a clock error


def matching_patrol(worker_id, at, grid_id, location):
    """The worker's patrol running at that time in that grid (or passing within 200 m), if any."""
    if location is None:
        return patrols.patrol_near(worker_id, at, grid_id)
    return patrols.patrol_near(worker_id, at, grid_id, location.x, location.y)


def _checked_patrol(user, patrol_id):
    """An explicit patrol link; refused only when that patrol is known to be someone else's."""
    if patrol_id is None:
        return patrol_id
    facts = patrols.patrol_facts(patrol_id)
    if facts is not None and facts["worker_id"] != user.id:
        raise Invalid("people.patrol_not_yours", {"patrol_id": ["another worker's patrol"]})
    return patrol_id


def _checked_time(visited_at):
    now = utcnow()
    if visited_at > now + timedelta(minutes=10):
        raise Invalid("people.visited_in_future", {"visited_at": [messages.text("field.in_future")]})
    if visited_at < now - MAX_AGE:
        raise Invalid("people.visited_too_long_ago", {"visited_at": [messages.text("field.too_old")]})


def visit_view(visit, person=None):
    """A visit as the API returns it (no personal numbers), with the person's next due date."""
    due = queries.due_by_person([visit.person_id]).get(visit.person_id)
    return {**_base_view(visit, person or visit.person), "next_due_date": due.due_date if due else None}


def _replay(user, visit):
    replay_or_conflict(
        visit,
        visit.worker_id == user.id,
        messages.text("people.id_belongs_another_visit"),
        {"id": ["taken"]},
    )
    return visit_view(visit), False


def log_visit(user, data):
    """Record a visit; a replay of the same id returns the original. -> (view, created)."""
    service.require_role(user, *roles.FIELD_AND_STAFF)
    existing = db.session.get(Visit, data["id"])
    if existing is not None:
        return _replay(user, existing)
    person = service.get_person(user, data["person_id"], lock=True)
    if not person.active:
        raise Invalid("people.person_inactive", {"person_id": [messages.text("field.inactive")]})
    _checked_time(data["visited_at"])
    location = data.get("location")
    patrol_id = _checked_patrol(user, data.get("patrol_id"))
    if patrol_id is None:
        patrol_id = matching_patrol(user.id, data["visited_at"], person.grid_id, location)
    inserted = db.session.execute(
        insert(Visit)
        .values(
            id=data["id"],
            person_id=person.id,
            worker_id=user.id,
            grid_id=person.grid_id,
            area_code=person.area_code,
            district_code=person.district_code,
            visited_at=data["visited_at"],
            visit_date=local_date(data["visited_at"]),
            location=to_db(location) if location is not None else None,
            method=data["method"],
            condition=data["condition"],
            note=(data.get("note") or "").strip() or None,
            photo_ids=[],
            patrol_id=patrol_id,
        )
        .on_conflict_do_nothing()
        .returning(Visit.id)
    )
    if inserted.scalar() is None:  # the same id arrived concurrently
        db.session.rollback()
        return _replay(user, db.session.get(Visit, data["id"]))
    try:
        visit = db.session.get(Visit, data["id"])
        if data.get("photo_ids"):
            from patrol.photos.service import attach_photos

            visit.photo_ids = attach_photos(user, data["photo_ids"], "visit", visit.id, person.grid_id)
        if data.get("incident"):
            visit.incident_id = _report_incident(user, visit, person, data["incident"], location)
        person.updated_at = utcnow()
        db.session.commit()
    except Exception:
        db.session.rollback()  # one entry, all records or none
        raise
    return visit_view(visit, person), True


def _report_incident(user, visit, person, incident, location):
    """One entry, two records: the abnormal visit reports an incident in the same transaction."""
    from patrol.incidents.published import report_incident

    if visit.condition != "异常":
        raise Invalid("people.incident_needs_abnormal_visit", {"incident": [messages.text("field.not_abnormal")]})
    where = location or from_db(person.location)
    if where is None:
        raise Invalid("people.incident_needs_location", {"location": [messages.text("field.required_for_incident")]})
    created, _ = report_incident(
        user,
        {
            "id": incident.get("id") or uuid.uuid5(visit.id, "incident"),
            "location": where,
            "category": incident["category"],
            "description": incident["description"],
            "photo_ids": incident.get("photo_ids") or [],
            "source": "visit",
            "visit_id": visit.id,
            "reported_at": visit.visited_at,
        },
        commit=False,
    )
    return created.id


def get_visit(user, visit_id):
    """One visit of a person the user may see."""
    visit = db.session.execute(
        select(Visit).join(Person, Person.id == Visit.person_id).where(Visit.id == visit_id, service.scope_clause(user))
    ).scalar_one_or_none()
    if visit is None:
        raise NotFound("people.no_such_visit")
    return visit_view(visit)


def list_visits(user, person_id=None, area_id=None, from_day=None, to_day=None, before=None, limit=100):
    """Visits of people in scope, newest first; page with `before` (a visited_at)."""
    query = (
        select(Visit, Person)
        .join(Person, Person.id == Visit.person_id)
        .where(service.scope_clause(user))
        .order_by(Visit.visited_at.desc(), Visit.id)
        .limit(limit)
    )
    if person_id is not None:
        query = query.where(Visit.person_id == person_id)
    if area_id is not None:
        query = query.where(Visit.area_code.startswith(service.area_in_scope(user, area_id).code))
    if from_day is not None:
        query = query.where(Visit.visit_date >= from_day)
    if to_day is not None:
        query = query.where(Visit.visit_date <= to_day)
    if before is not None:
        query = query.where(Visit.visited_at < before)
    rows = db.session.execute(query).all()
    due = queries.due_by_person({v.person_id for v, _ in rows})
    return [{**_base_view(v, p), "next_due_date": getattr(due.get(v.person_id), "due_date", None)} for v, p in rows]


def _base_view(visit, person):
    return {
        "id": visit.id,
        "person_id": visit.person_id,
        "person_name": person.name,
        "worker_id": visit.worker_id,
        "grid_id": visit.grid_id,
        "visited_at": visit.visited_at,
        "visit_date": visit.visit_date,
        "location": to_geojson(visit.location),
        "method": visit.method,
        "condition": visit.condition,
        "note": visit.note,
        "photo_ids": list(visit.photo_ids or []),
        "patrol_id": visit.patrol_id or visit.pending_patrol_id,
        "incident_id": visit.incident_id,
        "created_at": visit.created_at,
    }
