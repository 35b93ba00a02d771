"""Request and response schemas for patrols."""

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from patrol import fields as bounded
from patrol.config import PATROL_NUMBERS
from patrol.geo import to_geojson
from patrol.localtime import to_local
from patrol.patrols.points import parse_points


class PatrolStart(Schema):
    id = fields.UUID(required=True)
    grid_id = fields.Integer(required=True, strict=True)
    started_at = fields.AwareDateTime(required=True)


class PointsField(fields.Field):
    """[[fix_time_ms, lon, lat, accuracy_m, speed_mps|null, heading_deg|null], ...] -> PointColumns."""

    def _deserialize(self, value, attr, data, **kwargs):
        from patrol.patrols.settings import setting

        return parse_points(value, setting("PATROL_MAX_POINTS"))


class PointsBatch(Schema):
    points = PointsField(
        required=True,
        metadata={
            "description": f"up to {PATROL_NUMBERS['PATROL_MAX_POINTS']} fixes: "
            "[fix_time_ms, lon, lat, accuracy_m, speed_mps|null, heading_deg|null]",
            "type": "array",
            "items": {"type": "array", "items": {"type": "number", "nullable": True}},
        },
    )


class PointsResult(Schema):
    received = fields.Integer()
    stored = fields.Integer()
    duplicates = fields.Integer()
    flagged = fields.Integer()


class PatrolFinish(Schema):
    ended_at = fields.AwareDateTime(required=True)


class PatrolQuery(Schema):
    class Meta:
        unknown = RAISE

    grid_id = fields.Integer()
    worker_id = fields.Integer()
    date = bounded.Date()


def _iso(value):
    return None if value is None else to_local(value).isoformat()


def patrol_properties(patrol):
    """The derived figures and facts of a patrol, as GeoJSON properties."""
    return {
        "id": str(patrol.id),
        "worker_id": patrol.worker_id,
        "grid_id": patrol.grid_id,
        "district_code": patrol.district_code,
        "date": patrol.local_date.isoformat(),
        "shift": patrol.shift,
        "source": patrol.source,
        "started_at": _iso(patrol.started_at),
        "ended_at": _iso(patrol.ended_at),
        "point_count": patrol.point_count,
        "clean_count": patrol.clean_count,
        "distance_m": None if patrol.distance_m is None else round(patrol.distance_m, 1),
        "duration_s": patrol.duration_s,
        "moving_s": patrol.moving_s,
        "inside_share": None if patrol.inside_share is None else round(patrol.inside_share, 4),
        "coverage": None if patrol.coverage is None else round(patrol.coverage, 4),
        "valid": patrol.valid,
        "invalid_reasons": patrol.invalid_reasons or [],
        "updated_at": _iso(patrol.updated_at),
    }


class PatrolFeature(Schema):
    """A patrol as a GeoJSON Feature; the track is a MultiLineString split at gaps."""

    type = fields.Constant("Feature")
    id = fields.String()
    geometry = fields.Function(lambda p: to_geojson(p.track), metadata={"type": "object", "nullable": True})
    properties = fields.Function(patrol_properties, metadata={"type": "object"})


class PatrolCollection(Schema):
    type = fields.Constant("FeatureCollection")
    features = fields.List(fields.Nested(PatrolFeature))


class PatrolRuleChanges(Schema):
    am_start = fields.Time(allow_none=True)
    am_end = fields.Time(allow_none=True)
    pm_start = fields.Time(allow_none=True)
    pm_end = fields.Time(allow_none=True)
    min_duration_min = fields.Integer(strict=True, allow_none=True, validate=validate.Range(1, 600))
    min_inside_share = fields.Float(allow_none=True, allow_nan=False, validate=validate.Range(0, 1))
    min_coverage = fields.Float(allow_none=True, allow_nan=False, validate=validate.Range(0, 1))


class PatrolRuleValues(Schema):
    am_start = fields.Time()
    am_end = fields.Time()
    pm_start = fields.Time()
    pm_end = fields.Time()
    min_duration_min = fields.Integer()
    min_inside_share = fields.Float()
    min_coverage = fields.Float()


class PatrolRulesOut(Schema):
    area_id = fields.Integer()
    area_code = fields.String()
    level = fields.String()
    rules = fields.Nested(PatrolRuleValues)
    overrides = fields.Nested(PatrolRuleValues)


class TrackerKeyOut(Schema):
    device_id = fields.String(metadata={"description": "only shown when issued or rotated"})
    server_url = fields.String()
    tracker_url = fields.String()
    qr_svg = fields.String()
    issued = fields.Boolean()
    issued_at = fields.AwareDateTime()


class TrackerStatus(Schema):
    worker_id = fields.Integer()
    username = fields.String()
    full_name = fields.String()
    grid_ids = fields.List(fields.Integer())
    issued_at = fields.AwareDateTime()
    last_fix_at = fields.AwareDateTime(allow_none=True, metadata={"description": "latest fix time heard"})
    battery = fields.Float(allow_none=True, metadata={"description": "percent, from the latest fix"})
    charging = fields.Boolean(allow_none=True)
    client = fields.String(allow_none=True, metadata={"description": "osmand, traccar or traccar-json"})


class TrackerStatusList(Schema):
    trackers = fields.List(fields.Nested(TrackerStatus))


class GpxImportResult(Schema):
    patrols = fields.List(fields.Nested(PatrolFeature))
    skipped = fields.List(fields.Dict())


class PatrolStatsQuery(Schema):
    class Meta:
        unknown = RAISE

    from_ = bounded.Date(data_key="from", required=True)
    to = bounded.Date(required=True)
    area_id = fields.Integer()
    group_by = fields.String(load_default="grid", validate=validate.OneOf(["grid", "worker", "day", "community"]))
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv", "xlsx"]))


def validate_points_payload(payload):
    """Load a points payload (REST body or sync op); ValidationError when malformed."""
    if not isinstance(payload, dict):
        raise ValidationError("body must be an object")
    return PointsBatch().load(payload)
