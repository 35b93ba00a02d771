"""Incidents, their actions, categories, departments, holiday calendar and indicators."""

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from patrol import messages
from patrol.auth import current_user
from patrol.errors import Invalid
from patrol.fields import parse_day
from patrol.incidents import catalog, service, stats, workflow
from patrol.incidents.schemas import (
    ActionIn,
    CategoryIn,
    CategoryOut,
    CategoryPatch,
    CategoryQuery,
    DepartmentIn,
    DepartmentOut,
    DepartmentPatch,
    HolidayIn,
    HolidayOut,
    HolidayQuery,
    IncidentIn,
    IncidentOut,
    IncidentPage,
    IncidentQuery,
    StatsQuery,
)

blp = Blueprint("incidents", __name__, url_prefix="/api/v1/incidents", description="事件上报与处置 / incidents")
stats_blp = Blueprint("incident_stats", __name__, url_prefix="/api/v1/stats", description="事件指标 / indicators")


@blp.route("")
class Incidents(MethodView):
    @blp.arguments(IncidentQuery, location="query")
    @blp.response(200, IncidentPage)
    def get(self, query):
        """Incidents the caller may see, newest first; `limit` + `cursor` (pass back `next_cursor`)."""
        return service.list_incidents(current_user(), **query)

    @blp.arguments(IncidentIn)
    @blp.response(201, IncidentOut)
    @blp.alt_response(200, schema=IncidentOut, description="replay of an incident already reported")
    def post(self, body):
        """Report an incident (client UUID; a replay answers 200 with the original)."""
        answer, created = service.report(current_user(), body)
        return answer, 201 if created else 200, {"ETag": f'"{answer["id"]}.{answer["version"]}"'}


@blp.route("/<uuid:incident_id>")
class IncidentDetail(MethodView):
    @blp.response(200, IncidentOut)
    def get(self, incident_id):
        """One incident with photos and its full history; the ETag goes back as If-Match on actions."""
        answer = service.get_incident(current_user(), incident_id)
        return answer, 200, {"ETag": f'"{answer["id"]}.{answer["version"]}"'}


@blp.route("/<uuid:incident_id>/actions")
class IncidentActions(MethodView):
    @blp.arguments(ActionIn)
    @blp.response(200, IncidentOut)
    def post(self, body, incident_id):
        """accept, reject, dispatch, start, resolve, send_back, close, reopen or merge; If-Match → 412 when stale."""
        user = current_user()
        incident = workflow.act(user, incident_id, body, request.headers.get("If-Match"))
        return service.incident_dict(incident, user, detail=True), 200, {"ETag": service.etag(incident)}


@blp.route("/categories")
class Categories(MethodView):
    @blp.arguments(CategoryQuery, location="query")
    @blp.response(200, CategoryOut(many=True))
    def get(self, query):
        """Two-level categories with default department and deadline."""
        return catalog.list_categories(current_user(), **query)

    @blp.arguments(CategoryIn)
    @blp.response(201, CategoryOut)
    def post(self, body):
        """Add a category or sub-category (admin)."""
        return catalog.create_category(current_user(), body)


@blp.route("/categories/<int:category_id>")
class CategoryDetail(MethodView):
    @blp.arguments(CategoryPatch)
    @blp.response(200, CategoryOut)
    def patch(self, body, category_id):
        """Change a category (admin)."""
        return catalog.update_category(current_user(), category_id, body)


@blp.route("/departments")
class Departments(MethodView):
    @blp.response(200, DepartmentOut(many=True))
    def get(self):
        """Departments of the caller's street."""
        return catalog.list_departments(current_user())

    @blp.arguments(DepartmentIn)
    @blp.response(201, DepartmentOut)
    def post(self, body):
        """Add a department to a street (admin)."""
        return catalog.create_department(current_user(), body)


@blp.route("/departments/<int:department_id>")
class DepartmentDetail(MethodView):
    @blp.arguments(DepartmentPatch)
    @blp.response(200, DepartmentOut)
    def patch(self, body, department_id):
        """Rename or (de)activate a department (admin)."""
        return catalog.update_department(current_user(), department_id, body)


@blp.route("/holidays")
class Holidays(MethodView):
    @blp.arguments(HolidayQuery, location="query")
    @blp.response(200, HolidayOut(many=True))
    def get(self, query):
        """The holiday calendar used for working-day deadlines."""
        return catalog.list_holidays(current_user(), **query)


@blp.route("/holidays/<string:day>")
class HolidayDetail(MethodView):
    @blp.arguments(HolidayIn)
    @blp.response(200, HolidayOut)
    def put(self, body, day):
        """Mark a day (YYYY-MM-DD) as a holiday or a working weekend day (admin)."""
        return catalog.put_holiday(current_user(), _day(day), body["name"], body["is_workday"])

    @blp.response(204)
    def delete(self, day):
        """Remove a calendar entry (admin)."""
        catalog.delete_holiday(current_user(), _day(day))


def _day(raw):
    try:
        return parse_day(raw)
    except ValueError:
        raise Invalid("incident.day_format", {"day": [messages.text("field.invalid_date")]}) from None


@stats_blp.route("/incidents")
class IncidentIndicators(MethodView):
    @stats_blp.arguments(StatsQuery, location="query")
    @stats_blp.response(200)
    def get(self, query):
        """Indicators per category/department/grid/day with a total row; format=csv|xlsx for files."""
        return stats.indicators_response(current_user(), **query)


blueprints = [blp, stats_blp]
