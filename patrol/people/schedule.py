"""Visit intervals (configurable per category and attention level) and the due list."""

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert

from patrol import messages
from patrol.audit import service as audit
from patrol.auth.scope import require_role
from patrol.errors import Invalid
from patrol.extensions import db
from patrol.geo import in_china, to_geojson
from patrol.localtime import today, utcnow
from patrol.people import categories as cats
from patrol.people import queries, service
from patrol.people.models import Person, PersonCategory, VisitInterval


def list_intervals(user):
    """The interval in force for every category and attention level (configured, else the default)."""
    service.scope_of(user)
    configured = {(r.category, r.attention_level): r.days for r in db.session.execute(select(VisitInterval)).scalars()}
    return [
        {
            "category": code,
            "label": cats.BY_CODE[code].label,
            "attention_level": level,
            "days": configured.get((code, level), default),
        }
        for code, by_level in cats.DEFAULT_INTERVALS.items()
        for level, default in enumerate(by_level, start=1)
    ]


def set_intervals(user, intervals):
    """Change intervals (admin); people of the changed categories are re-sent to phones."""
    require_role(user, "admin")
    for item in intervals:
        db.session.execute(
            insert(VisitInterval)
            .values(category=item["category"], attention_level=item["attention_level"], days=item["days"])
            .on_conflict_do_update(index_elements=["category", "attention_level"], set_={"days": item["days"]})
        )
    changed = sorted({item["category"] for item in intervals})
    db.session.execute(
        update(Person)
        .where(Person.id.in_(select(PersonCategory.person_id).where(PersonCategory.category.in_(changed))))
        .values(updated_at=utcnow())
    )
    audit.record(user, "visits.intervals", "visit_interval", None, None, {"intervals": intervals})
    db.session.commit()
    return list_intervals(user)


def due_list(user, area_id=None, within_days=7, lon=None, lat=None, limit=500):
    """Active people overdue or due within `within_days`, most overdue first (then nearest to lon/lat)."""
    scope = service.scope_of(user)
    where = "AND p.active"
    params = {}
    if area_id is not None:
        where += " AND p.area_code LIKE :area_code || '%'"
        params["area_code"] = service.area_in_scope(user, area_id).code
    origin = None
    if lon is not None and lat is not None:
        if not in_china(lon, lat):
            raise Invalid("people.location_outside_china", {"lon": [messages.text("field.outside_china")]})
        origin = (lon, lat)
    day = today()
    rows = queries.due_rows(
        scope,
        where,
        params,
        order=" ORDER BY due_date, distance_m NULLS LAST, p.id",
        origin=origin,
        outer_where="due_date <= :last_day",
        outer_params={"last_day": day + timedelta(days=within_days)},
        limit=limit,
    )
    people = {p.id: p for p in db.session.execute(select(Person).where(Person.id.in_([r.id for r in rows]))).scalars()}
    return [_due_item(people[r.id], r, day) for r in rows]


def _due_item(person, row, day):
    return {
        "person_id": person.id,
        "name": person.name,
        "id_number": person.id_number_masked,
        "phone": person.phone_masked,
        "address": person.address,
        "location": to_geojson(person.location),
        "grid_id": person.grid_id,
        "grid_code": person.area_code,
        "attention_level": person.attention_level,
        "categories": [c.category for c in person.categories],
        "last_visit_date": row.last_visit_date,
        "interval_days": row.interval_days,
        "due_date": row.due_date,
        "days_overdue": (day - row.due_date).days,
        "distance_m": None if row.distance_m is None else round(row.distance_m, 1),
    }
