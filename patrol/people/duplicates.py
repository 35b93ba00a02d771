"""One ID number registered in several areas: recorded without telling the registering caller,
listed and resolved by the street holding both records or by an admin."""

from sqlalchemy import and_, false, func, select, text, true
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import aliased

from patrol.audit import service as audit
from patrol.auth.scope import area_prefix, require_role
from patrol.errors import Conflict, Invalid, NotFound
from patrol.extensions import db
from patrol.localtime import utcnow
from patrol.people import pii
from patrol.people.models import Person, PersonDuplicate

RESOLVERS = ("street_reviewer", "admin")
_REGISTRY_LOCK = 0x5045_5253  # "PERS": serialises registrations by ID number (the number is not unique)


def lock_registry():
    """Hold the registry lock until the transaction ends, so two registrations of a number cannot race."""
    db.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _REGISTRY_LOCK})


def registered_elsewhere(user, number, visible_clause, except_id=None):
    """People holding `number` outside the caller's scope; 409 naming the one inside it, if any.

    A number registered only outside the scope is not refused: refusing would tell the caller that
    it exists elsewhere. The caller records the pair with `record` once the new record has an id.
    """
    others = [p for p in pii.find_all_by_id_number(number) if p.id != except_id]
    if not others:
        return []
    visible = set(
        db.session.execute(select(Person.id).where(Person.id.in_([p.id for p in others]), visible_clause)).scalars()
    )
    if visible:
        raise Conflict(
            "people.person_id_number_already", {"person_id": min(visible)}
        )
    return others


def record(user, person, others):
    """Store (person, other) pairs for the street or admin to resolve; replays add nothing."""
    for other in others:
        db.session.execute(
            insert(PersonDuplicate)
            .values(person_id=person.id, other_person_id=other.id, created_by=user.id)
            .on_conflict_do_nothing()
        )
    if others:
        detail = {"other_person_ids": [o.id for o in others]}
        audit.record(user, "people.duplicate", "person", person.id, person.area_code, detail)


def _both_in_scope(user, first, second):
    prefix = area_prefix(user)
    if prefix is None:
        return true()
    if prefix == "":
        return false()
    return and_(*(p.area_code.startswith(prefix, autoescape=True) for p in (first, second)))


def _rows(user, duplicate_id=None, resolved=None, lock=False):
    require_role(user, *RESOLVERS)
    first, second = aliased(Person), aliased(Person)
    query = (
        select(PersonDuplicate, first, second)
        .join(first, first.id == PersonDuplicate.person_id)
        .join(second, second.id == PersonDuplicate.other_person_id)
        .where(_both_in_scope(user, first, second))
        .order_by(PersonDuplicate.id)
    )
    if duplicate_id is not None:
        query = query.where(PersonDuplicate.id == duplicate_id)
    if resolved is not None:
        done = PersonDuplicate.resolved_at.isnot(None)
        query = query.where(done if resolved else ~done)
    if lock:
        query = query.with_for_update(of=PersonDuplicate)
    return db.session.execute(query).all()


def _brief(person):
    return {
        "id": person.id,
        "name": person.name,
        "grid_id": person.grid_id,
        "grid_code": person.area_code,
        "id_number": person.id_number_masked,
        "registered_on": person.registered_on,
        "active": person.active,
    }


def _view(duplicate, person, other):
    return {
        "id": duplicate.id,
        "created_at": duplicate.created_at,
        "persons": [_brief(person), _brief(other)],
        "resolution": duplicate.resolution,
        "kept_person_id": duplicate.kept_person_id,
        "note": duplicate.note,
        "resolved_at": duplicate.resolved_at,
    }


def list_duplicates(user, resolved=None):
    """Duplicates whose two records are both in the caller's scope (street reviewer, admin)."""
    return [_view(*row) for row in _rows(user, resolved=resolved)]


def resolve(user, duplicate_id, data):
    """keep_both (two real records), or keep_one: the other record is deactivated. Audited."""
    rows = _rows(user, duplicate_id=duplicate_id, lock=True)
    if not rows:
        raise NotFound("people.no_such_duplicate")
    duplicate, person, other = rows[0]
    if duplicate.resolved_at is not None:
        raise Conflict("people.duplicate_already_resolved", {"resolution": [duplicate.resolution]})
    kept = data.get("keep_person_id")
    if data["resolution"] == "keep_one":
        if kept not in (person.id, other.id):
            raise Invalid(
                "people.keep_person_id_must", {"keep_person_id": [kept]}
            )
        dropped = other if kept == person.id else person
        dropped.active = False
        dropped.updated_at = func.now()
    elif kept is not None:
        raise Invalid("people.keep_both_takes_no", {"keep_person_id": [kept]})
    duplicate.resolution, duplicate.kept_person_id = data["resolution"], kept
    duplicate.note, duplicate.resolved_by, duplicate.resolved_at = data.get("note"), user.id, utcnow()
    audit.record(
        user, "people.duplicate.resolve", "person_duplicate", duplicate.id, area_prefix(user) or None,
        {"resolution": duplicate.resolution, "kept_person_id": kept, "person_ids": [person.id, other.id]},
    )  # fmt: skip
    db.session.commit()
    return _view(duplicate, person, other)
