"""Patrol endpoints: start, points, finish, GeoJSON and GPX, GPX import, tracker keys, rules, OsmAnd."""

import orjson
from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, ValidationError

from patrol import messages
from patrol.auth import current_user
from patrol.errors import BadRequest, Invalid
from patrol.patrols import gpx_import, rules, service, stats, trackers
from patrol.patrols.schemas import (
    GpxImportResult,
    PatrolCollection,
    PatrolFeature,
    PatrolFinish,
    PatrolQuery,
    PatrolRuleChanges,
    PatrolRulesOut,
    PatrolStart,
    PatrolStatsQuery,
    PointsBatch,
    PointsResult,
    TrackerKeyOut,
    TrackerStatusList,
)

blp = Blueprint("patrols", __name__, url_prefix="/api/v1/patrols", description="巡查 / patrols")
osmand_blp = Blueprint("osmand", __name__, url_prefix="/api/v1/osmand", description="OsmAnd/Traccar 轨迹协议")
stats_blp = Blueprint(
    "patrol_stats", __name__, url_prefix="/api/v1/stats/patrols", description="巡查统计 / patrol statistics"
)
blueprints = [blp, osmand_blp, stats_blp]


def _json_body():
    try:
        return orjson.loads(request.get_data(cache=False))
    except orjson.JSONDecodeError:
        raise BadRequest("patrol.body_not_valid_json") from None


@blp.route("")
class Patrols(MethodView):
    @blp.arguments(PatrolQuery, location="query", unknown=RAISE)
    @blp.response(200, PatrolCollection)
    def get(self, query):
        """Patrols in the caller's scope as a GeoJSON FeatureCollection."""
        return {"features": service.list_patrols(current_user(), **query)}

    @blp.arguments(PatrolStart)
    @blp.response(201, PatrolFeature)
    @blp.alt_response(200, schema=PatrolFeature, description="replay: the patrol already exists")
    def post(self, body):
        """Start a patrol with the client's UUID; replays answer 200 with the same patrol."""
        patrol, created = service.start_patrol(current_user(), body["id"], body["grid_id"], body["started_at"])
        return patrol, 201 if created else 200


@blp.route("/<uuid:patrol_id>")
class PatrolDetail(MethodView):
    @blp.response(200, PatrolFeature)
    def get(self, patrol_id):
        """One patrol as a GeoJSON Feature with its derived figures."""
        return service.get_patrol(current_user(), patrol_id)


@blp.route("/<uuid:patrol_id>.gpx")
class PatrolGpx(MethodView):
    @blp.response(200, content_type="application/gpx+xml")
    def get(self, patrol_id):
        """The clean track as GPX 1.1."""
        patrol, xml = service.patrol_gpx(current_user(), patrol_id)
        return Response(
            xml,
            mimetype="application/gpx+xml",
            headers={"Content-Disposition": f'attachment; filename="patrol-{patrol.id}.gpx"'},
        )


@blp.route("/<uuid:patrol_id>/points")
class PatrolPoints(MethodView):
    @blp.doc(requestBody={"content": {"application/json": {"schema": PointsBatch}}})
    @blp.response(200, PointsResult)
    def post(self, patrol_id):
        """Add up to 5,000 fixes; re-sent fixes are ignored, noisy ones flagged, bad batches refused whole."""
        user = current_user()
        try:
            batch = PointsBatch().load(_json_body())
        except ValidationError as exc:
            raise Invalid("patrol.invalid_points", exc.messages) from None
        return service.add_points(user, patrol_id, batch["points"])


@blp.route("/<uuid:patrol_id>/finish")
class PatrolFinishView(MethodView):
    @blp.arguments(PatrolFinish)
    @blp.response(200, PatrolFeature)
    def post(self, body, patrol_id):
        """Finish the patrol and compute its figures; finishing again returns the same patrol."""
        patrol, _ = service.finish_patrol(current_user(), patrol_id, body["ended_at"])
        return patrol


@blp.route("/import-gpx")
class PatrolGpxImport(MethodView):
    @blp.response(201, GpxImportResult)
    def post(self):
        """Import a GPX file (multipart field `file`): one patrol per track segment inside a shift."""
        upload = request.files.get("file")
        if upload is None:
            raise Invalid("patrol.gpx_file_required", {"file": [messages.text("field.required")]})
        return gpx_import.import_gpx(current_user(), upload.read())


@blp.route("/tracker")
class Tracker(MethodView):
    @blp.response(200, TrackerKeyOut)
    def get(self):
        """Whether the caller has a tracker key, and the server URL for the tracker's settings."""
        return trackers.tracker_info(current_user())

    @blp.response(201, TrackerKeyOut)
    def post(self):
        """Issue or rotate the caller's tracker key; the key and its QR code (SVG) are shown only now."""
        return trackers.issue_key(current_user())

    @blp.response(204)
    def delete(self):
        """Revoke the caller's tracker key."""
        trackers.revoke_key(current_user())


@blp.route("/trackers")
class Trackers(MethodView):
    @blp.response(200, TrackerStatusList)
    def get(self):
        """Device status of the trackers in the caller's area (street, community, admin): last fix, battery, client."""
        return trackers.device_status(current_user())


@blp.route("/rules/<int:area_id>")
class Rules(MethodView):
    @blp.response(200, PatrolRulesOut)
    def get(self, area_id):
        """The rules in force for a street or community (and what is set on it)."""
        return rules.get_rules(current_user(), area_id)

    @blp.arguments(PatrolRuleChanges)
    @blp.response(200, PatrolRulesOut)
    def put(self, body, area_id):
        """Set a street's rules or a community's overrides (admin); null clears a value."""
        return rules.set_rules(current_user(), area_id, body)


@osmand_blp.route("")
class OsmAnd(MethodView):
    @osmand_blp.response(200, content_type="text/plain")
    def get(self):
        """One fix in the OsmAnd protocol (query parameters); authenticated by the device key."""
        trackers.receive_fix(request.args.to_dict(), None)
        return Response(b"", status=200, mimetype="text/plain")

    @osmand_blp.response(200, content_type="text/plain")
    def post(self):
        """One fix as query/form parameters or as the Traccar Client JSON body."""
        body = _json_body() if request.is_json else None
        params = {**request.args.to_dict(), **request.form.to_dict()}
        trackers.receive_fix(params, body)
        return Response(b"", status=200, mimetype="text/plain")


@stats_blp.route("")
class PatrolStats(MethodView):
    @stats_blp.arguments(PatrolStatsQuery, location="query", unknown=RAISE)
    @stats_blp.response(200)
    def get(self, query):
        """Compliance of 一日双巡 per grid, worker, day or community; format=csv|xlsx for files."""
        return stats.patrol_stats(current_user(), **query)
