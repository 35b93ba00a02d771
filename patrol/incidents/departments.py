"""Who owns a department and who may name it: the one rule for users, dispatches, categories and cases.

A department belongs to one street, or to none: then it is city-wide (only an admin creates those).
A caller may name a department of their own street or a city-wide one (an unbound admin: any).
A department's users see the cases of their own street that are dispatched to their department.
"""

from sqlalchemy import and_, false, or_, select

from patrol.areas.models import Area
from patrol.auth import service as accounts
from patrol.auth.scope import area_prefix, require_role
from patrol.errors import Forbidden, Invalid
from patrol.extensions import db
from patrol.incidents.models import Department, Incident

MANAGERS = ("admin",)


def street_code_of(user):
    """The caller's street code; None for an unbound admin, '' for an account bound to nothing."""
    prefix = area_prefix(user)
    return None if prefix is None else prefix[:9]


def in_scope_clause(user):
    """SQL condition on Department rows the caller may name (and list)."""
    own = street_code_of(user)
    if own is None:
        return Department.id.isnot(None)
    own_street = select(Area.id).where(Area.code == own, Area.level == "street")
    return or_(Department.street_id.is_(None), Department.street_id.in_(own_street))


def _unknown(field):
    return Invalid("incident.no_such_department_scope", {field: ["unknown department"]})


def named_by(user, department_id, field="department_id"):
    """The department a caller names by id (for a user account): it exists and lies in their scope, else 422."""
    query = select(Department).where(Department.id == department_id)
    if user is not None:
        query = query.where(in_scope_clause(user))
    department = db.session.execute(query).scalar_one_or_none()
    if department is None:
        raise _unknown(field)
    return department


def check_account(actor, role, area, department_id):
    """A department account names an existing department of its own street (or a city-wide one)."""
    if role != "department":
        if department_id is not None:
            raise Invalid(
                "incident.only_department_accounts_name", {"department_id": ["not allowed"]}
            )
        return
    if department_id is None:
        raise Invalid("incident.department_account_needs_department", {"department_id": ["required"]})
    department = named_by(actor, department_id)
    if department.street_id is not None and (area is None or department.street_id != area.id):
        raise _unknown("department_id")


def for_street(department_id, street_id, field="department_id"):
    """An active department a case of that street may be dispatched to: the street's own or city-wide; else 422."""
    department = db.session.get(Department, department_id)
    if department is None or not department.active or department.street_id not in (None, street_id):
        raise _unknown(field)
    return department


def default_for(category, street_id):
    """The category's default department in a street: the street's own of that code, else the city-wide one."""
    if not category.department_code:
        return None
    rows = db.session.execute(
        select(Department)
        .where(
            Department.code == category.department_code,
            Department.active.is_(True),
            or_(Department.street_id == street_id, Department.street_id.is_(None)),
        )
        .order_by(Department.street_id.is_(None))
    ).scalars()
    return next(iter(rows), None)


def check_default_code(user, code, field="department_code"):
    """A category's default department code names a department in the caller's scope."""
    if code is None:
        return
    found = db.session.execute(select(Department.id).where(Department.code == code, in_scope_clause(user)).limit(1))
    if found.first() is None:
        raise _unknown(field)


def check_may_create(user, street):
    """Admins add departments (a street-bound admin: to their street); a city-wide one needs an unbound admin."""
    require_role(user, *MANAGERS)
    own = street_code_of(user)
    if street is None and own is not None:
        raise Forbidden("incident.only_city_wide_admin")
    if street is not None and own not in (None, street.code):
        raise Forbidden("incident.street_outside_area")


def may_manage(user, department):
    """Admins manage the departments they may name; a city-wide one only an unbound admin."""
    if user.role not in MANAGERS:
        return False
    if department.street_id is None:
        return street_code_of(user) is None
    mine = select(Department.id).where(Department.id == department.id, in_scope_clause(user))
    return db.session.execute(mine).first() is not None


def visible_incidents_clause(user):
    """For a department account: cases of its own street dispatched to its department."""
    own = street_code_of(user)
    if not user.department_id or not own:
        return false()
    return and_(Incident.department_id == user.department_id, Incident.grid_code.startswith(own))


accounts.ACCOUNT_CHECKS.append(check_account)
