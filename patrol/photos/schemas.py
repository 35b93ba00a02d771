"""Photo upload and output."""

from marshmallow import Schema, fields, validate

from patrol import fields as bounded


class PhotoUpload(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class PhotoQuery(Schema):
    size = fields.String(load_default="full", validate=validate.OneOf(("full", "thumb")))


class PhotoOut(Schema):
    id = fields.String()
    content_type = fields.String()
    width = fields.Integer()
    height = fields.Integer()
    size_bytes = fields.Integer()
    url = fields.String()
    thumb_url = fields.String()
    created_at = bounded.DateTime()
