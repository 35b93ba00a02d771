"""Push batches, per-operation answers and the pull bundle."""

from marshmallow import Schema, fields, validate

from patrol.sync.cursor import Cursor

MAX_BATCH = 100


class OperationIn(Schema):
    op_id = fields.UUID(required=True, metadata={"description": "UUID chosen by the phone for this operation"})
    op = fields.String(required=True, validate=validate.Length(min=1, max=40), metadata={"example": "patrol.start"})
    payload = fields.Dict(required=True, metadata={"description": "the body the feature's REST endpoint takes"})


class PushIn(Schema):
    operations = fields.List(fields.Nested(OperationIn), required=True, validate=validate.Length(min=1, max=MAX_BATCH))


class OperationOut(Schema):
    op_id = fields.UUID()
    op = fields.String()
    status = fields.String(metadata={"description": "applied | duplicate | rejected"})
    result = fields.Raw(metadata={"description": "what the feature answered (applied and duplicate)"})
    code = fields.String(metadata={"description": "error code of a rejection (patrol/messages)"})
    http_status = fields.Integer(metadata={"description": "HTTP status the rejection would have had"})
    message = fields.String()
    errors = fields.Raw()


class PushOut(Schema):
    results = fields.List(fields.Nested(OperationOut))


class PullQuery(Schema):
    since = Cursor(load_default=None, metadata={"description": "the cursor of the previous pull; empty for all"})


class PullOut(Schema):
    cursor = fields.String(metadata={"description": "pass as `since` next time"})
    full = fields.Boolean(metadata={"description": "true when everything was sent (no cursor given)"})
    server_time = fields.AwareDateTime()
    user = fields.Dict()
    grid_ids = fields.List(fields.Integer(), metadata={"description": "every grid in scope now (drop the others)"})
    grids = fields.List(fields.Dict(), metadata={"description": "GeoJSON features of grids changed since the cursor"})
    basemap = fields.Dict()
    timezone = fields.String(metadata={"description": "the IANA zone the phone shows times in"})
    records = fields.Dict(
        keys=fields.String(), values=fields.List(fields.Raw()), metadata={"description": "each feature's records"}
    )
