"""Categories, departments and the holiday calendar: seeded defaults, managed by admins."""

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from patrol import messages
from patrol.areas.models import Area
from patrol.auth import roles
from patrol.auth.scope import require_role
from patrol.errors import Conflict, Forbidden, Invalid, NotFound
from patrol.extensions import db
from patrol.incidents import defaults, departments
from patrol.incidents.models import Category, Department, Holiday


def seed_categories():
    """Insert the default categories that are missing (idempotent; the migration seeds the same list)."""
    for n, (code, name, dept, value, unit, subs) in enumerate(defaults.CATEGORIES):
        values = {
            "code": code,
            "name": name,
            "department_code": dept,
            "deadline_value": value,
            "deadline_unit": unit,
            "sort": n,
        }
        db.session.execute(insert(Category).values(values).on_conflict_do_nothing(index_elements=["code"]))
        parent_id = db.session.execute(select(Category.id).where(Category.code == code)).scalar_one()
        rows = [
            {
                "code": sub_code,
                "name": sub_name,
                "parent_id": parent_id,
                "department_code": dept,
                "deadline_value": sub_value,
                "deadline_unit": sub_unit,
                "sort": m,
            }
            for m, (sub_code, sub_name, sub_value, sub_unit) in enumerate(subs)
        ]
        db.session.execute(insert(Category).values(rows).on_conflict_do_nothing(index_elements=["code"]))
    db.session.commit()


def seed_departments(street):
    """The default departments of a street, when missing (idempotent)."""
    rows = [{"street_id": street.id, "code": code, "name": name} for code, name in defaults.DEPARTMENTS]
    db.session.execute(insert(Department).values(rows).on_conflict_do_nothing(constraint="uq_department_street_code"))
    db.session.commit()
    return department_list_for_street(street.id)


def department_list_for_street(street_id):
    return (
        db.session.execute(select(Department).where(Department.street_id == street_id).order_by(Department.id))
        .scalars()
        .all()
    )


# --- categories -----------------------------------------------------------------------------


def list_categories(user, include_inactive=False):
    """All categories, top level first then children, ordered for pickers."""
    query = select(Category).order_by(
        func.coalesce(Category.parent_id, Category.id), Category.parent_id.nullsfirst(), Category.sort, Category.code
    )
    if not include_inactive:
        query = query.where(Category.active.is_(True))
    return db.session.execute(query).scalars().all()


def category_by_code(code):
    return db.session.execute(select(Category).where(Category.code == code)).scalar_one_or_none()


def reportable_category(code):
    """An active sub-category (小类) by code, or 422 naming the problem."""
    category = category_by_code(code)
    if category is None or not category.active:
        raise Invalid(
            "incident.unknown_category", {"category": [messages.text("field.unknown_category")]}, code_value=code
        )
    has_children = db.session.execute(select(Category.id).where(Category.parent_id == category.id).limit(1)).first()
    if has_children:
        raise Invalid("incident.choose_sub_category", {"category": [messages.text("field.has_sub_categories")]})
    return category


def create_category(user, data):
    """Add a category or sub-category (admin)."""
    require_role(user, *roles.ONLY_ADMIN)
    if category_by_code(data["code"]) is not None:
        raise Conflict(
            "incident.category_code_taken", {"code": [messages.text("field.taken")]}, code_value=data["code"]
        )
    parent = None
    if data.get("parent_code"):
        parent = category_by_code(data["parent_code"])
        if parent is None or parent.parent_id is not None:
            raise Invalid(
                "incident.parent_must_top_level", {"parent_code": ["not a top level"]}
            )
    departments.check_default_code(user, data.get("department_code"))
    category = Category(
        code=data["code"],
        name=data["name"],
        parent_id=parent.id if parent else None,
        department_code=data.get("department_code") or (parent.department_code if parent else None),
        deadline_value=data.get("deadline_value") or 3,
        deadline_unit=data.get("deadline_unit") or "workdays",
        sort=data.get("sort", 0),
    )
    db.session.add(category)
    db.session.commit()
    return category


def update_category(user, category_id, data):
    """Change name, default department, deadline, order or active flag (admin)."""
    require_role(user, *roles.ONLY_ADMIN)
    category = db.session.get(Category, category_id)
    if category is None:
        raise NotFound("incident.no_such_category")
    if data.get("department_code") is not None:
        departments.check_default_code(user, data["department_code"])
    for key in ("name", "department_code", "deadline_value", "deadline_unit", "sort", "active"):
        if key in data:
            setattr(category, key, data[key])
    category.updated_at = func.now()
    db.session.commit()
    return category


# --- departments ----------------------------------------------------------------------------


def list_departments(user, street_code=None):
    """Departments the caller may name: their street's and the city-wide ones (an unbound admin: all)."""
    query = (
        select(Department)
        .outerjoin(Area, Area.id == Department.street_id)
        .where(departments.in_scope_clause(user))
        .order_by(Department.street_id.nullsfirst(), Department.id)
    )
    if street_code:
        query = query.where(Area.code == street_code)
    return db.session.execute(query).scalars().all()


def department_in_street(department_id, street_id):
    """The active department a case of that street may go to (its own or city-wide), or 422."""
    return departments.for_street(department_id, street_id)


def default_department(category, street_id):
    return departments.default_for(category, street_id)


def create_department(user, data):
    """Add a department to a street, or city-wide (admin)."""
    street = None
    if data.get("street_code"):
        street = db.session.execute(
            select(Area).where(Area.code == data["street_code"], Area.level == "street")
        ).scalar_one_or_none()
        if street is None:
            raise Invalid("incident.no_such_street", {"street_code": ["unknown street"]})
    elif not data.get("city_wide"):
        raise Invalid(
            "incident.name_street_or_mark",
            {"street_code": ["required unless city_wide"]},
        )
    departments.check_may_create(user, street)
    same_code = Department.street_id.is_(None) if street is None else Department.street_id == street.id
    if db.session.execute(select(Department.id).where(same_code, Department.code == data["code"])).first():
        raise Conflict("incident.department_code_taken", {"code": ["taken"]})
    street_id = street.id if street else None
    department = Department(street_id=street_id, code=data["code"], name=data["name"], phone=data.get("phone"))
    db.session.add(department)
    db.session.commit()
    return department


def update_department(user, department_id, data):
    """Rename, change phone or (de)activate a department (admin)."""
    require_role(user, *departments.MANAGERS)
    department = db.session.get(Department, department_id)
    if department is None or department not in list_departments(user):
        raise NotFound("incident.no_such_department")
    if not departments.may_manage(user, department):
        raise Forbidden("incident.not_change_department")
    for key in ("name", "phone", "active"):
        if key in data:
            setattr(department, key, data[key])
    db.session.commit()
    return department


# --- holiday calendar -----------------------------------------------------------------------


def list_holidays(user, year=None):
    query = select(Holiday).order_by(Holiday.day)
    if year:
        query = query.where(func.extract("year", Holiday.day) == year)
    return db.session.execute(query).scalars().all()


def put_holiday(user, day, name, is_workday):
    """Mark a day as a holiday or as a working day (调休); replaces an existing entry (admin)."""
    require_role(user, *roles.ONLY_ADMIN)
    db.session.execute(
        insert(Holiday)
        .values(day=day, name=name, is_workday=is_workday)
        .on_conflict_do_update(index_elements=["day"], set_={"name": name, "is_workday": is_workday})
    )
    db.session.commit()
    return db.session.get(Holiday, day)


def delete_holiday(user, day):
    require_role(user, *roles.ONLY_ADMIN)
    holiday = db.session.get(Holiday, day)
    if holiday is None:
        raise NotFound("incident.no_calendar_entry_day")
    db.session.delete(holiday)
    db.session.commit()
