"""The street's and admin's JSON API for Open311: clients, deliveries, the contact reveal."""

from marshmallow import Schema, fields, validate

from patrol.open311.models import DELIVERY_STATUSES

MINUTES = validate.Range(min=1, max=24 * 60)


class ClientIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    callback_url = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))
    area_code = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(r"^\d{6,15}$"))
    minutes_per_order = fields.Integer(load_default=30, validate=MINUTES)


class ClientPatch(Schema):
    callback_url = fields.String(allow_none=True, validate=validate.Length(max=500))
    area_code = fields.String(allow_none=True, validate=validate.Regexp(r"^\d{6,15}$"))
    minutes_per_order = fields.Integer(validate=MINUTES)
    active = fields.Boolean()


class ClientOut(Schema):
    id = fields.Integer()
    name = fields.String()
    key_prefix = fields.String()
    callback_url = fields.String(allow_none=True)
    area_code = fields.String(allow_none=True)
    minutes_per_order = fields.Integer()
    active = fields.Boolean()
    created_at = fields.DateTime()


class IssuedClientOut(ClientOut):
    api_key = fields.String(metadata={"description": "shown only once; stored hashed"})
    secret = fields.String(metadata={"description": "HMAC-SHA256 signing secret of the callbacks; shown only once"})


class DeliveryQuery(Schema):
    status = fields.List(
        fields.String(validate=validate.OneOf(DELIVERY_STATUSES)), load_default=lambda: ["pending", "failed"]
    )


class DeliveryOut(Schema):
    id = fields.Integer()
    client = fields.String()
    incident_id = fields.UUID()
    upstream_id = fields.String()
    action = fields.String()
    status = fields.String()
    attempts = fields.Integer()
    next_attempt_at = fields.DateTime()
    last_error = fields.String(allow_none=True)
    created_at = fields.DateTime()
    delivered_at = fields.DateTime(allow_none=True)


class RevealIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))


class RevealOut(Schema):
    incident_id = fields.UUID()
    upstream_id = fields.String()
    contact = fields.Dict(allow_none=True)


class RetryIn(Schema):
    ids = fields.List(
        fields.Integer(validate=validate.Range(min=1, max=2**62)),
        required=True,
        validate=validate.Length(min=1, max=500),
    )


class RetryOut(Schema):
    retried = fields.List(fields.Integer())
