"""Cases that arrive from outside the grid's own reporting (upstream work orders), already accepted."""

from patrol.extensions import db
from patrol.geo import to_db
from patrol.incidents.models import Incident, IncidentEvent


def receive_external(incident_id, grid, geom, category, description, received_at, due_at, detail):
    """An accepted case from outside (an upstream work order), not yet committed: report + accept events."""
    db.session.add(
        Incident(
            id=incident_id,
            reporter_id=None,
            grid_id=grid.id,
            grid_code=grid.code,
            district_code=grid.district_code,
            location=to_db(geom),
            category_id=category.id,
            description=description,
            source="upstream",
            status="accepted",
            reported_at=received_at,
            accepted_at=received_at,
            due_at=due_at,
            external_due_at=due_at,
            version=1,
            updated_at=received_at,
        )
    )
    db.session.flush()
    for action, from_status, to_status in (("report", None, "reported"), ("accept", "reported", "accepted")):
        db.session.add(
            IncidentEvent(
                incident_id=incident_id,
                action=action,
                from_status=from_status,
                to_status=to_status,
                actor_id=None,
                at=received_at,
                photo_ids=[],
                detail=detail,
            )
        )
    db.session.flush()
    return db.session.get(Incident, incident_id)
