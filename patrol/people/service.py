"""The person registry: scoped reads, managed writes, audited reveals and exports."""

from marshmallow import ValidationError
from sqlalchemy import false, select

from patrol import messages
from patrol.areas.models import Area, GridAssignment
from patrol.areas.queries import grid_at
from patrol.audit import service as audit
from patrol.auth import roles
from patrol.auth.models import User
from patrol.auth.scope import active_assignment_clause, area_prefix, require_role, worker_grid_ids
from patrol.errors import Forbidden, Invalid, NotFound
from patrol.extensions import db
from patrol.geo import from_db, to_db, to_geojson
from patrol.localtime import today
from patrol.people import categories as cats
from patrol.people import duplicates, pii, queries
from patrol.people.models import Person, PersonCategory, PersonWorker


def scope_of(user):
    """('grids', ids) for a worker, ('prefix', code) for area-bound staff, ('all', None) for an unbound admin."""
    require_role(user, *roles.FIELD_AND_STAFF)
    if user.role == "worker":
        return "grids", db.session.execute(worker_grid_ids(user)).scalars().all()
    prefix = area_prefix(user)
    return ("all", None) if prefix is None else ("prefix", prefix)


def scope_clause(user):
    """SQL condition on Person for the people the user may see."""
    kind, value = scope_of(user)
    if kind == "grids":
        return Person.grid_id.in_(value)
    if kind == "prefix":
        return Person.area_code.startswith(value, autoescape=True) if value else false()
    return Person.id.isnot(None)


def may_target_people(user):
    """Whether the user's role may see people at all (and so name them, e.g. in a visit task)."""
    return user.role in roles.FIELD_AND_STAFF


def visible_person_ids(user, person_ids):
    """Those of `person_ids` the user may see; none for roles that may not see people."""
    if not person_ids or not may_target_people(user):
        return set()
    query = select(Person.id).where(Person.id.in_(list(person_ids)), scope_clause(user))
    return set(db.session.execute(query).scalars())


def get_person(user, person_id, lock=False):
    """A person in the user's scope; 404 otherwise, so ids outside it reveal nothing."""
    query = select(Person).where(Person.id == person_id, scope_clause(user))
    if lock:
        query = query.with_for_update(of=Person)
    person = db.session.execute(query).scalar_one_or_none()
    if person is None:
        raise NotFound("people.no_such_person")
    return person


def area_in_scope(user, area_id):
    """The area with this id if the user may see it (its code then filters by prefix)."""
    from patrol.auth.scope import visible_area_clause

    area = db.session.execute(select(Area).where(Area.id == area_id, visible_area_clause(user))).scalar_one_or_none()
    if area is None:
        raise NotFound("people.no_such_area")
    return area


def person_view(person, due=None, grid_code=None):
    """The masked representation every response uses."""
    due = due if due is not None else queries.due_by_person([person.id]).get(person.id)
    return {
        "id": person.id,
        "name": person.name,
        "gender": person.gender,
        "birth_year": person.birth_date.year,
        "age": pii.age_this_year(person.birth_date, today()),
        "id_number": person.id_number_masked,
        "phone": person.phone_masked,
        "address": person.address,
        "location": to_geojson(person.location),
        "grid_id": person.grid_id,
        "grid_code": grid_code or person.area_code,
        "attention_level": person.attention_level,
        "categories": [
            {"category": c.category, "label": cats.BY_CODE[c.category].label, "extra": c.extra}
            for c in person.categories
        ],
        "worker_ids": sorted(w.user_id for w in person.workers),
        "active": person.active,
        "notes": person.notes,
        "registered_on": person.registered_on,
        "last_visit_date": due.last_visit_date if due else None,
        "interval_days": due.interval_days if due else queries.DEFAULT_INTERVAL_DAYS,
        "next_due_date": due.due_date if due else None,
        "updated_at": person.updated_at,
    }


def views(people):
    due = queries.due_by_person([p.id for p in people])
    return [person_view(p, due.get(p.id)) for p in people]


def list_people(user, area_id=None, category=None, attention_level=None, active=None, q=None, after_id=None, limit=100):
    """People in scope, by id; filters combine; page with after_id."""
    query = select(Person).where(scope_clause(user)).order_by(Person.id)
    if area_id is not None:
        query = query.where(Person.area_code.startswith(area_in_scope(user, area_id).code))
    if category:
        query = query.where(Person.id.in_(select(PersonCategory.person_id).where(PersonCategory.category == category)))
    if attention_level is not None:
        query = query.where(Person.attention_level == attention_level)
    if active is not None:
        query = query.where(Person.active.is_(active))
    if q:
        query = query.where(Person.name.contains(q, autoescape=True))
    if after_id:
        query = query.where(Person.id > after_id)
    if limit is not None:
        query = query.limit(limit)
    return db.session.execute(query).scalars().all()


def _checked_categories(items):
    checked, problems = {}, {}
    for item in items:
        try:
            checked[item["category"]] = cats.validate_extra(item["category"], item.get("extra"))
        except ValidationError as exc:
            problems[item["category"]] = exc.messages
    if problems:
        raise Invalid("people.category_details_invalid", {"categories": problems})
    return checked


def resolve_grid(user, location=None, grid_id=None):
    """The grid for a location (found automatically) or an explicit grid id, inside the user's area."""
    prefix = area_prefix(user)
    if location is not None:
        found = grid_at(location.x, location.y, code_prefix=prefix)
        if found is None:
            raise Invalid("people.location_outside_area", {"location": [messages.text("field.outside")]})
        grid_id = found
    grid = db.session.get(Area, grid_id)
    if grid is None or grid.level != "grid" or (prefix is not None and not grid.code.startswith(prefix)):
        raise Invalid("people.no_such_grid", {"grid_id": [messages.text("field.unknown_grid")]})
    return grid


def _checked_workers(user, grid, worker_ids):
    if worker_ids is None:
        return (
            db.session.execute(
                select(GridAssignment.user_id).where(GridAssignment.grid_id == grid.id, active_assignment_clause())
            )
            .scalars()
            .all()
        )
    workers = db.session.execute(select(User).where(User.id.in_(worker_ids))).scalars().all()
    found = {w.id for w in workers if w.role == "worker" and w.active and w.area and grid.code.startswith(w.area.code)}
    missing = sorted(set(worker_ids) - found)
    if missing:
        raise Invalid("people.responsible_workers_invalid",
                      {"worker_ids": missing})  # fmt: skip
    return sorted(found)


def _place(person, grid, location):
    person.grid_id = grid.id
    person.area_code = grid.code
    person.district_code = grid.district_code
    if location is not None:
        person.location = to_db(location)


def _set_categories(person, checked):
    current = {c.category: c for c in person.categories}
    for code in set(current) - set(checked):
        person.categories.remove(current[code])
    for code, extra in checked.items():
        if code in current:
            if current[code].extra != extra:
                current[code].extra = extra
        else:
            person.categories.append(PersonCategory(category=code, extra=extra))


def _set_workers(person, worker_ids):
    current = {w.user_id: w for w in person.workers}
    for user_id in set(current) - set(worker_ids):
        person.workers.remove(current[user_id])
    for user_id in sorted(set(worker_ids) - set(current)):
        person.workers.append(PersonWorker(user_id=user_id))


def create_person(user, data):
    """Register a person (community admin and up); the grid follows from the location."""
    require_role(user, *roles.STAFF)
    number = pii.checked_id_number(data["id_number"], data.get("gender"), data.get("birth_date"))
    phone = pii.checked_phone(data["phone"]) if data.get("phone") else None
    checked = _checked_categories(data["categories"])
    if not data["name"].strip():
        raise Invalid("people.name_blank", {"name": [messages.text("field.blank")]})
    if data.get("registered_on") and data["registered_on"] > today():
        raise Invalid("people.registered_in_future", {"registered_on": [messages.text("field.in_future")]})
    grid = resolve_grid(user, data.get("location"), data.get("grid_id"))
    duplicates.lock_registry()
    elsewhere = duplicates.registered_elsewhere(user, number, scope_clause(user))
    person = Person(
        name=data["name"].strip(),
        address=data.get("address"),
        attention_level=data.get("attention_level") or cats.default_attention(checked),
        registered_on=data.get("registered_on") or today(),
        active=data.get("active", True),
        notes=data.get("notes"),
        created_by=user.id,
    )
    pii.set_id_number(person, number)
    pii.set_phone(person, phone)
    _place(person, grid, data.get("location"))
    _set_categories(person, checked)
    _set_workers(person, _checked_workers(user, grid, data.get("worker_ids")))
    db.session.add(person)
    db.session.flush()
    audit.record(user, "people.create", "person", person.id, person.area_code, {"categories": sorted(checked)})
    duplicates.record(user, person, elsewhere)
    db.session.commit()
    return person_view(person)


def update_person(user, person_id, data):
    """Change a person's record (community admin and up); only the fields given change."""
    require_role(user, *roles.STAFF)
    person = get_person(user, person_id, lock=True)
    try:
        changed = _apply_changes(user, person, data)
    except Exception:
        db.session.rollback()  # nothing half-changed stays in the session
        raise
    if changed:
        person.updated_at = db.func.now()
        audit.record(user, "people.update", "person", person.id, person.area_code, {"fields": changed})
    db.session.commit()
    db.session.refresh(person)
    return person_view(person)


def _apply_changes(user, person, data):
    changed = []
    if "id_number" in data:
        number = pii.checked_id_number(data["id_number"])
        if person.id_number_index not in pii.crypto.blind_indexes(number):
            duplicates.lock_registry()
            elsewhere = duplicates.registered_elsewhere(user, number, scope_clause(user), person.id)
            pii.set_id_number(person, number)
            duplicates.record(user, person, elsewhere)
            changed.append("id_number")
    if "phone" in data:
        phone = pii.checked_phone(data["phone"]) if data["phone"] else None
        if phone is None or not pii.phone_unchanged(person, phone):
            pii.set_phone(person, phone)
            changed.append("phone")
    if "location" in data or "grid_id" in data:
        grid = resolve_grid(user, data.get("location"), data.get("grid_id", person.grid_id))
        _place(person, grid, data.get("location"))
        changed.append("location")
    if "categories" in data:
        _set_categories(person, _checked_categories(data["categories"]))
        changed.append("categories")
    if "worker_ids" in data:
        grid = db.session.get(Area, person.grid_id)
        _set_workers(person, _checked_workers(user, grid, data["worker_ids"]))
        changed.append("worker_ids")
    for field in ("name", "address", "attention_level", "active", "notes"):
        if field in data and getattr(person, field) != data[field]:
            setattr(person, field, data[field])
            changed.append(field)
    return changed


def reveal(user, person_id, reason):
    """Full ID number and phone for one person, with a reason, audited (community admin and up)."""
    require_role(user, *roles.STAFF)
    if not reason or len(reason.strip()) < 2:
        raise Invalid("people.reason_required", {"reason": [messages.text("field.required")]})
    person = get_person(user, person_id)
    values = pii.revealed(person)
    audit.record(user, "people.reveal", "person", person.id, person.area_code, {"reason": reason.strip()})
    db.session.commit()
    return values


def person_location(person):
    return from_db(person.location)


def refuse_worker_export(user, unmasked, reason):
    if unmasked:
        require_role(user, *roles.STAFF)
        if not reason:
            raise Forbidden("people.export_reason_required", {"reason": [messages.text("field.required")]})
