"""Offline sync: the phone's incident reports (push) and what the phone keeps of incidents (pull)."""

from datetime import timedelta

from sqlalchemy import or_, select

from patrol.extensions import db
from patrol.incidents import service
from patrol.incidents.models import OPEN_STATUSES, Category, Incident
from patrol.incidents.schemas import CategoryOut, IncidentIn, IncidentOut
from patrol.localtime import utcnow

RECENTLY_CLOSED = timedelta(days=7)


def apply_report(user, payload):
    """incident.report: the POST /incidents body; a replay returns the original incident."""
    data = IncidentIn().load(payload)
    incident, created = service.report_incident(user, data)
    return created, IncidentOut().dump(service.incident_dict(incident, user))


OPERATIONS = {"incident.report": apply_report}


def pull(user, since):
    """Categories, and the worker's own open incidents plus those closed in the last 7 days."""
    categories = select(Category).order_by(Category.code)
    mine = select(Incident).where(
        Incident.reporter_id == user.id,
        or_(Incident.status.in_(OPEN_STATUSES), Incident.closed_at >= utcnow() - RECENTLY_CLOSED),
    )
    if since is not None:
        categories = categories.where(Category.updated_at > since)
        mine = mine.where(Incident.updated_at > since)
    incidents = db.session.execute(mine.order_by(Incident.reported_at.desc())).scalars().all()
    return {
        "incident_categories": CategoryOut(many=True).dump(db.session.execute(categories).scalars().all()),
        "incidents": [IncidentOut().dump(service.incident_dict(i, user)) for i in incidents],
    }
