"""Area features (GeoJSON), import requests and assignments."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from patrol import fields as bounded
from patrol.areas.models import LEVELS
from patrol.geo import to_geojson


class AreaQuery(Schema):
    level = fields.String(load_default=None, validate=validate.OneOf(LEVELS))
    parent = fields.String(
        load_default=None,
        validate=validate.Regexp(r"^\d{9}(\d{3})?$"),
        metadata={"description": "code of the parent area"},
    )


def _area_properties(area):
    return {
        "id": area.id,
        "code": area.code,
        "name": area.name,
        "level": area.level,
        "parent_id": area.parent_id,
        "district_code": area.district_code,
        "households": area.households,
    }


class AreaFeature(Schema):
    type = fields.Constant("Feature")
    id = fields.Integer()
    geometry = fields.Function(lambda area: to_geojson(area.geom))
    properties = fields.Function(_area_properties)


class AreaCollection(Schema):
    type = fields.Constant("FeatureCollection")
    features = fields.List(fields.Nested(AreaFeature))


class ImportQuery(Schema):
    level = fields.String(required=True, validate=validate.OneOf(LEVELS))
    parent = fields.String(load_default=None, validate=validate.Regexp(r"^\d{9}(\d{3})?$"))
    crs = fields.String(load_default="wgs84", validate=validate.OneOf(("wgs84", "gcj02")))


class FeatureCollectionIn(Schema):
    """A GeoJSON FeatureCollection; each feature is checked in the service so errors name it."""

    type = fields.String(required=True, validate=validate.Equal("FeatureCollection"))
    features = fields.List(fields.Dict(), required=True, validate=validate.Length(min=1, max=2000))
    name = fields.String()
    crs = fields.Dict()
    bbox = fields.List(fields.Float())


class ImportResult(Schema):
    created = fields.Integer()
    updated = fields.Integer()
    codes = fields.List(fields.String())


class AssignmentIn(Schema):
    worker_id = fields.Integer(required=True, validate=validate.Range(min=1))
    start_date = bounded.Date(load_default=None)
    end_date = bounded.Date(load_default=None)

    @validates_schema
    def dates_in_order(self, data, **kwargs):
        if data.get("start_date") and data.get("end_date") and data["end_date"] < data["start_date"]:
            raise ValidationError("end_date must not be before start_date", "end_date")


class AssignmentEnd(Schema):
    end_date = bounded.Date(required=True)


class AssignmentOut(Schema):
    id = fields.Integer()
    grid_id = fields.Integer()
    grid_code = fields.Function(lambda a: a.grid.code)
    worker_id = fields.Integer(attribute="user_id")
    start_date = bounded.Date()
    end_date = bounded.Date(allow_none=True)
