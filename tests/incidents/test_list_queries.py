"""A list of incidents costs the same few queries whatever its length (no query per row)."""

import uuid

from sqlalchemy import event, select

from patrol.areas.models import Area, GridAssignment
from patrol.auth.models import User
from patrol.extensions import db
from patrol.incidents import service, workflow
from tests.incidents.helpers import point_in


def _incidents(count):
    """`count` incidents from every demo worker in their own grids, half of them dispatched."""
    pairs = db.session.execute(
        select(User, Area.code)
        .join(GridAssignment, GridAssignment.user_id == User.id)
        .join(Area, Area.id == GridAssignment.grid_id)
        .where(User.role == "worker")
        .order_by(User.id)
    ).all()
    street = db.session.execute(select(User).where(User.username == "demo-street")).scalar_one()
    categories = ["0602", "0101", "0403", "0103"]
    for n in range(count):
        worker, grid_code = pairs[n % len(pairs)]
        data = {"id": uuid.uuid4(), "location": point_in(grid_code, 0.00001 * (n % 7)), "category": categories[n % 4]}
        incident = service.report_incident(worker, data)[0]
        if n % 2:
            workflow.act(street, incident.id, {"action": "accept"})
            workflow.act(street, incident.id, {"action": "dispatch"})


def _queries_for(api, url):
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        response = api.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"], statements


def test_a_200_row_list_costs_no_more_queries_than_a_2_row_list(departments, login):
    _incidents(200)
    street = login("demo-street")
    short, few = _queries_for(street, "/api/v1/incidents?limit=2")
    long, many = _queries_for(street, "/api/v1/incidents?limit=200")
    assert len(short) == 2 and len(long) == 200
    assert len({i["reporter"]["id"] for i in long}) > 5 and len({i["grid"]["id"] for i in long}) > 5
    assert len(many) <= len(few), many
    assert len(many) <= 12, many
