"""Offline sync: visits pushed from the phone, and the worker's people pulled to it (masked)."""

from sqlalchemy import select

from patrol.auth import roles
from patrol.extensions import db
from patrol.people import service, visits
from patrol.people.models import Person
from patrol.people.schemas import PersonOut
from patrol.people.visit_schemas import VisitIn, VisitOut


def apply_visit(user, payload):
    """The body of POST /api/v1/visits; -> (created, the visit as the endpoint returns it)."""
    data = VisitIn().load(payload)
    view, created = visits.log_visit(user, data)
    return created, VisitOut().dump(view)


OPERATIONS = {"visit.log": apply_visit}


def pull(user, since):
    """People the user may see that changed after `since` (all when None), masked, with next due dates."""
    if user.role not in roles.FIELD_AND_STAFF:
        return {"people": []}
    query = select(Person).where(service.scope_clause(user)).order_by(Person.id)
    if since is not None:
        query = query.where(Person.updated_at > since)
    people = db.session.execute(query).scalars().all()
    return {"people": PersonOut(many=True).dump(service.views(people))}
