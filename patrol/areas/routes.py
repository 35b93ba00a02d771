"""Areas as GeoJSON, area import and worker assignment."""

from flask.views import MethodView
from flask_smorest import Blueprint

from patrol.areas import service
from patrol.areas.schemas import (
    AreaCollection,
    AreaFeature,
    AreaQuery,
    AssignmentEnd,
    AssignmentIn,
    AssignmentOut,
    FeatureCollectionIn,
    ImportQuery,
    ImportResult,
)
from patrol.auth import current_user
from patrol.replica import reads_from_replica

blp = Blueprint("areas", __name__, url_prefix="/api/v1/areas", description="街道/社区/网格 / areas")


@blp.route("")
class Areas(MethodView):
    @reads_from_replica
    @blp.arguments(AreaQuery, location="query")
    @blp.response(200, AreaCollection)
    def get(self, query):
        """Areas the caller may see, as a GeoJSON FeatureCollection."""
        return {"features": service.list_areas(current_user(), **query)}


@blp.route("/<int:area_id>")
class AreaDetail(MethodView):
    @blp.response(200, AreaFeature)
    def get(self, area_id):
        """One area as a GeoJSON Feature."""
        return service.get_area(current_user(), area_id)


@blp.route("/import")
class AreaImport(MethodView):
    @blp.arguments(ImportQuery, location="query")
    @blp.arguments(FeatureCollectionIn)
    @blp.response(201, ImportResult)
    def post(self, query, collection):
        """Import a FeatureCollection as one level under a parent; all-or-nothing (admin)."""
        return service.import_areas(current_user(), query["level"], query["parent"], collection, query["crs"])


@blp.route("/<int:grid_id>/assignments")
class Assignments(MethodView):
    @blp.response(200, AssignmentOut(many=True))
    def get(self, grid_id):
        """Workers assigned to a grid, past and present."""
        return service.list_assignments(current_user(), grid_id)

    @blp.arguments(AssignmentIn)
    @blp.response(201, AssignmentOut)
    def post(self, body, grid_id):
        """Assign a worker to a grid (community admin and up)."""
        return service.assign_worker(current_user(), grid_id, **body)


@blp.route("/<int:grid_id>/assignments/<int:assignment_id>")
class AssignmentDetail(MethodView):
    @blp.arguments(AssignmentEnd)
    @blp.response(200, AssignmentOut)
    def patch(self, body, grid_id, assignment_id):
        """End an assignment on a date."""
        return service.end_assignment(current_user(), grid_id, assignment_id, body["end_date"])
