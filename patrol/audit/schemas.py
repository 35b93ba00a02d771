from marshmallow import Schema, fields, validate


class AuditQuery(Schema):
    action = fields.String(load_default=None, validate=validate.Length(max=64))
    before_id = fields.Integer(
        load_default=None,
        validate=validate.Range(min=1),
        metadata={"description": "cursor: entries older than this id"},
    )
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class AuditEntryOut(Schema):
    id = fields.Integer()
    created_at = fields.AwareDateTime()
    actor_id = fields.Integer(allow_none=True)
    actor_username = fields.String(allow_none=True)
    action = fields.String()
    object_type = fields.String(allow_none=True)
    object_id = fields.String(allow_none=True)
    area_code = fields.String(allow_none=True)
    client_address = fields.Function(lambda e: None if e.client_address is None else str(e.client_address))
    detail = fields.Dict()
