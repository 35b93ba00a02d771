"""Query strings of the tile and OGC endpoints."""

from marshmallow import EXCLUDE, Schema, fields, validate

from patrol import fields as bounded


class TileQuery(Schema):
    date = bounded.Date(load_default=None, metadata={"description": "本地日期 / local day (default today)"})


class OgcQuery(Schema):
    # Desktop GIS clients add parameters of their own (f, crs, …): unknown ones are ignored, as the standard allows.
    class Meta:
        unknown = EXCLUDE

    f = fields.String(load_default="json", validate=validate.OneOf(["json", "geojson"]))


class ItemsQuery(OgcQuery):
    bbox = fields.String(load_default=None, validate=validate.Length(max=200))
    datetime = fields.String(load_default=None, validate=validate.Length(max=100))
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=10000))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=10_000_000))
