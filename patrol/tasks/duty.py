"""The street's duty list (职责清单): task types workers are responsible for, versioned."""

import re

from sqlalchemy import func, select

from patrol.areas.models import Area
from patrol.audit import service as audit
from patrol.errors import Invalid, NotFound
from patrol.extensions import db
from patrol.tasks.models import DutyChange, DutyType
from patrol.tasks.streets import require_street_staff, street_for

DEFAULT_TYPES = (
    {"code": "patrol", "name": "日常巡查", "minutes": 60, "fulfil_by": "patrol"},
    {"code": "incident", "name": "事件上报", "minutes": 10, "fulfil_by": "incident"},
    {"code": "visit", "name": "特殊人群走访", "minutes": 20, "fulfil_by": "visit"},
)


def _snapshot(duty_type):
    return {
        "name": duty_type.name,
        "minutes": duty_type.minutes,
        "fulfil_by": duty_type.fulfil_by,
        "active": duty_type.active,
    }


def _lock_street(street):
    db.session.execute(select(Area.id).where(Area.id == street.id).with_for_update())


def _next_version(street):
    current = db.session.execute(select(func.max(DutyChange.version)).where(DutyChange.street_id == street.id)).scalar()
    return (current or 0) + 1


def _log(street, actor, code, action, before, after):
    db.session.add(
        DutyChange(
            street_id=street.id,
            version=_next_version(street),
            code=code,
            action=action,
            before=before,
            after=after,
            changed_by=actor.id if actor else None,
        )
    )
    db.session.flush()


def ensure_defaults(street):
    """Put patrols, incident reporting and visits on a street's list the first time it is used."""
    if db.session.execute(select(DutyChange.id).where(DutyChange.street_id == street.id).limit(1)).first():
        return False
    _lock_street(street)
    if db.session.execute(select(DutyChange.id).where(DutyChange.street_id == street.id).limit(1)).first():
        return False
    for default in DEFAULT_TYPES:
        duty_type = DutyType(street_id=street.id, **default)
        db.session.add(duty_type)
        _log(street, None, default["code"], "add", None, _snapshot(duty_type))
    return True


def listed_type(street, code):
    """The active duty type with this code on the street's list, or None."""
    ensure_defaults(street)
    return db.session.execute(
        select(DutyType).where(DutyType.street_id == street.id, DutyType.code == code, DutyType.active)
    ).scalar()


def _view(street, types):
    version = db.session.execute(select(func.max(DutyChange.version)).where(DutyChange.street_id == street.id)).scalar()
    return {"street_id": street.id, "street_code": street.code, "version": version or 0, "types": types}


def get_duty_list(user, street_id=None):
    """The street's current duty list with its version number."""
    street = street_for(user, street_id)
    if ensure_defaults(street):
        db.session.commit()
    types = (
        db.session.execute(
            select(DutyType).where(DutyType.street_id == street.id, DutyType.active).order_by(DutyType.code)
        )
        .scalars()
        .all()
    )
    return _view(street, types)


def put_duty_type(user, code, data, street_id=None):
    """Add a type to the list or change it (admins and street reviewers); each change is a new version."""
    if not re.fullmatch(r"[a-z0-9_\-]{1,40}", code):
        raise Invalid("task.type_code_invalid", {"code": [code[:60]]})
    street = street_for(user, street_id)
    require_street_staff(user, street)
    ensure_defaults(street)
    _lock_street(street)
    duty_type = db.session.execute(
        select(DutyType).where(DutyType.street_id == street.id, DutyType.code == code)
    ).scalar()
    before = _snapshot(duty_type) if duty_type and duty_type.active else None
    if duty_type is None:
        duty_type = DutyType(street_id=street.id, code=code)
        db.session.add(duty_type)
    duty_type.name = data["name"]
    duty_type.minutes = data["minutes"]
    duty_type.fulfil_by = data.get("fulfil_by")
    duty_type.active = True
    duty_type.updated_by = user.id
    after = _snapshot(duty_type)
    if before != after:
        _log(street, user, code, "add" if before is None else "update", before, after)
        audit.record(user, "duty_list.change", "duty_type", code, street.code, {"before": before, "after": after})
    db.session.commit()
    return get_duty_list(user, street.id)


def remove_duty_type(user, code, street_id=None):
    """Take a type off the list; tasks of that type then need the street's approval."""
    street = street_for(user, street_id)
    require_street_staff(user, street)
    ensure_defaults(street)
    _lock_street(street)
    duty_type = db.session.execute(
        select(DutyType).where(DutyType.street_id == street.id, DutyType.code == code, DutyType.active)
    ).scalar()
    if duty_type is None:
        raise NotFound("task.no_such_duty_type", {"code": [code]})
    before = _snapshot(duty_type)
    duty_type.active = False
    duty_type.updated_by = user.id
    _log(street, user, code, "remove", before, None)
    audit.record(user, "duty_list.change", "duty_type", code, street.code, {"before": before, "after": None})
    db.session.commit()
    return get_duty_list(user, street.id)


def duty_history(user, street_id=None):
    """Every change of the street's duty list, newest first: who changed what, when."""
    street = street_for(user, street_id)
    return (
        db.session.execute(
            select(DutyChange).where(DutyChange.street_id == street.id).order_by(DutyChange.version.desc())
        )
        .scalars()
        .all()
    )
