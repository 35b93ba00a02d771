"""Which street a caller acts for, and who may keep its duty list and decide its tasks."""

from sqlalchemy import select

from patrol import messages
from patrol.areas.models import Area
from patrol.auth import roles
from patrol.auth.scope import area_prefix, covers_code, require_role
from patrol.errors import Forbidden, Invalid, NotFound
from patrol.extensions import db


def street_by_id(street_id):
    street = db.session.get(Area, street_id)
    if street is None or street.level != "street":
        raise NotFound("task.no_such_street", {"street_id": [street_id]})
    return street


def street_for(user, street_id=None):
    """The street a user acts for: their own, or the one named (which must be inside their area)."""
    if street_id is not None:
        street = street_by_id(street_id)
        inside = covers_code(user, street.code) or _inside_street(user, street)
        if user.role == "worker" or not inside:
            raise Forbidden("task.street_outside_area", {"street_id": [street_id]})
        return street
    prefix = area_prefix(user)
    if user.role == "worker":
        prefix = user.area.code if user.area is not None else ""
    if not prefix or len(prefix) < 9:
        raise Invalid("task.street_required", {"street_id": [messages.text("field.required_for_account")]})
    street = db.session.execute(select(Area).where(Area.code == prefix[:9], Area.level == "street")).scalar()
    if street is None:
        raise NotFound("task.no_such_street")
    return street


def _inside_street(user, street):
    """A community-bound user belongs to the street above their community."""
    prefix = area_prefix(user)
    return bool(prefix) and prefix.startswith(street.code)


def require_street_staff(user, street):
    """Only admins and the street's reviewers keep the duty list, budgets and admission decisions."""
    require_role(user, *roles.STREET_STAFF)
    if not covers_code(user, street.code):
        raise Forbidden("task.street_outside_area")
