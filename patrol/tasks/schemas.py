"""Request and response schemas for the duty list, tasks, key places, participants and the ledger."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from patrol import fields as bounded
from patrol.geo import geometry_field
from patrol.tasks.models import FULFIL_KINDS, PARTICIPANT_KINDS, TASK_STATUSES

CODE = validate.Regexp(r"^[a-z0-9_\-]{1,40}$", error="lower-case letters, digits, _ or -, at most 40")
PHOTO_IDS = fields.List(fields.String(validate=validate.Length(equal=64)), validate=validate.Length(max=9))


def _int(**kwargs):
    return fields.Integer(strict=True, **kwargs)


class StreetQuery(Schema):
    street_id = fields.Integer()


class DutyTypeIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    minutes = _int(required=True, validate=validate.Range(min=1, max=1440))
    fulfil_by = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(FULFIL_KINDS))


class DutyTypeOut(Schema):
    code = fields.String()
    name = fields.String()
    minutes = fields.Integer()
    fulfil_by = fields.String(allow_none=True)
    updated_at = bounded.DateTime()


class DutyListOut(Schema):
    street_id = fields.Integer()
    street_code = fields.String()
    version = fields.Integer()
    types = fields.List(fields.Nested(DutyTypeOut))


class DutyChangeOut(Schema):
    version = fields.Integer()
    code = fields.String()
    action = fields.String()
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)
    changed_by = fields.Integer(allow_none=True)
    changed_at = bounded.DateTime()


class TaskIn(Schema):
    id = fields.UUID()
    type = fields.String(required=True, validate=CODE)
    type_name = fields.String(validate=validate.Length(min=1, max=100))
    minutes = _int(validate=validate.Range(min=1, max=1440))
    fulfil_by = fields.String(allow_none=True, validate=validate.OneOf(FULFIL_KINDS))
    title = fields.String(validate=validate.Length(min=1, max=200))
    instruction = fields.String(load_default="", validate=validate.Length(max=2000))
    grid_ids = fields.List(_int(), required=True, validate=validate.Length(min=1, max=500))
    due_date = bounded.Date(required=True)
    counts_from = bounded.Date()
    photo_required = fields.Boolean(load_default=False)
    target_count = _int(load_default=1, validate=validate.Range(min=1, max=31))
    person_ids = fields.List(_int(), validate=validate.Length(max=500))
    place_category = fields.String(validate=validate.Length(min=1, max=40))
    accept_over_budget = fields.Boolean(load_default=False)

    @validates_schema
    def _one_kind_of_item(self, data, **kwargs):
        if data.get("person_ids") and data.get("place_category"):
            raise ValidationError("give person_ids or place_category, not both", "person_ids")


class TaskQuery(StreetQuery):
    status = fields.String(validate=validate.OneOf(TASK_STATUSES))


class TaskOut(Schema):
    id = fields.UUID()
    street_id = fields.Integer()
    department_id = fields.Integer(allow_none=True)
    created_by = fields.Integer()
    type_code = fields.String()
    type_name = fields.String()
    listed = fields.Boolean()
    minutes_per_item = fields.Integer()
    fulfil_by = fields.String(allow_none=True)
    target_count = fields.Integer()
    grid_ids = fields.List(fields.Integer())
    person_ids = fields.List(fields.Integer(), allow_none=True)
    place_category = fields.String(allow_none=True)
    title = fields.String()
    instruction = fields.String()
    due_date = bounded.Date()
    counts_from = bounded.Date()
    photo_required = fields.Boolean()
    status = fields.String()
    over_budget = fields.Dict(allow_none=True)
    decided_by = fields.Integer(allow_none=True)
    decided_at = bounded.DateTime(allow_none=True)
    refusal_reason = fields.String(allow_none=True)
    pushed_on = bounded.Date(allow_none=True)
    created_at = bounded.DateTime()
    items_total = fields.Integer()
    estimated_minutes = fields.Integer()
    checklist = fields.List(fields.Dict(), metadata={"description": "the items (one task, GET only)"})


class DecisionIn(Schema):
    approve = fields.Boolean(required=True)
    reason = fields.String(validate=validate.Length(min=1, max=500))
    accept_over_budget = fields.Boolean(load_default=False)

    @validates_schema
    def _reason_for_refusal(self, data, **kwargs):
        if not data["approve"] and not (data.get("reason") or "").strip():
            raise ValidationError("a refusal needs a reason", "reason")


class CompletionIn(Schema):
    id = fields.UUID(required=True)
    completed_at = fields.AwareDateTime()
    note = fields.String(validate=validate.Length(max=500))
    photo_ids = PHOTO_IDS
    patrol_id = fields.UUID()


class CompletionOp(CompletionIn):
    item_id = _int(required=True)


class ItemsQuery(Schema):
    include_done = fields.Boolean(load_default=False)


class CompletionOut(Schema):
    id = fields.UUID()
    completed_at = bounded.DateTime()
    patrol_id = fields.UUID(allow_none=True)
    note = fields.String(allow_none=True)
    photo_ids = fields.List(fields.String())


class ItemOut(Schema):
    id = fields.Integer()
    task_id = fields.UUID()
    worker_id = fields.Integer()
    grid_id = fields.Integer()
    label = fields.String()
    units = fields.Integer()
    key_place_id = fields.Integer(allow_none=True)
    place_name = fields.String(allow_none=True)
    place_geometry = fields.Dict(allow_none=True)
    person_id = fields.Integer(allow_none=True)
    title = fields.String()
    type_code = fields.String()
    type_name = fields.String()
    instruction = fields.String()
    due_date = bounded.Date()
    photo_required = fields.Boolean()
    fulfil_by = fields.String(allow_none=True)
    estimated_minutes = fields.Integer()
    done = fields.Boolean()
    done_by = fields.String(allow_none=True)
    completion = fields.Nested(CompletionOut, allow_none=True)
    updated_at = bounded.DateTime()


class BudgetIn(Schema):
    weekly_minutes = _int(required=True, validate=validate.Range(min=0, max=10080))


class BudgetOut(Schema):
    worker_id = fields.Integer()
    weekly_minutes = fields.Integer()


class RangeQuery(Schema):
    from_day = bounded.Date(required=True, data_key="from")
    to_day = bounded.Date(required=True, data_key="to")
    grid_id = fields.Integer()


class LedgerQuery(RangeQuery):
    period = fields.String(load_default="month", validate=validate.OneOf(("week", "month")))
    worker_id = fields.Integer()
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv", "xlsx")))


class KeyPlaceIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    category = fields.String(required=True, validate=validate.Length(min=1, max=40))
    geometry = geometry_field(allowed=("Point", "Polygon"), required=True)
    grid_id = _int()
    check_every_days = _int(load_default=1, validate=validate.Range(min=1, max=366))


class KeyPlacePatch(Schema):
    name = fields.String(validate=validate.Length(min=1, max=100))
    category = fields.String(validate=validate.Length(min=1, max=40))
    geometry = geometry_field(allowed=("Point", "Polygon"))
    check_every_days = _int(validate=validate.Range(min=1, max=366))
    active = fields.Boolean()


class KeyPlaceQuery(Schema):
    grid_id = fields.Integer()


class KeyPlaceProperties(Schema):
    id = fields.Integer()
    grid_id = fields.Integer()
    area_code = fields.String()
    name = fields.String()
    category = fields.String()
    check_every_days = fields.Integer()
    active = fields.Boolean()
    updated_at = bounded.DateTime()


class KeyPlaceFeature(Schema):
    type = fields.Constant("Feature")
    id = fields.Integer()
    geometry = geometry_field(attribute="geom", allowed=("Point", "Polygon"))
    properties = fields.Function(lambda place: KeyPlaceProperties().dump(place))


class KeyPlaceCollection(Schema):
    type = fields.Constant("FeatureCollection")
    features = fields.List(fields.Nested(KeyPlaceFeature))


class NoteIn(Schema):
    id = fields.UUID(required=True)
    noted_at = fields.AwareDateTime()
    note = fields.String(validate=validate.Length(max=500))
    photo_ids = PHOTO_IDS
    patrol_id = fields.UUID()


class NoteOp(NoteIn):
    key_place_id = _int(required=True)


class NoteOut(Schema):
    id = fields.UUID()
    key_place_id = fields.Integer()
    worker_id = fields.Integer()
    noted_at = bounded.DateTime()
    note = fields.String(allow_none=True)
    photo_ids = fields.List(fields.String())
    patrol_id = fields.UUID(allow_none=True)


class PlaceStatusOut(Schema):
    grid_id = fields.Integer()
    grid_code = fields.String()
    grid_name = fields.String()
    day = bounded.Date()
    due = fields.Integer()
    checked = fields.Integer()


class ParticipantIn(Schema):
    name = fields.String(validate=validate.Length(min=1, max=50))
    kind = fields.String(required=True, validate=validate.OneOf(PARTICIPANT_KINDS))
    user_id = _int()


class ParticipantsIn(Schema):
    participants = fields.List(fields.Nested(ParticipantIn), required=True, validate=validate.Length(max=30))


class ParticipantsOp(ParticipantsIn):
    patrol_id = fields.UUID(required=True)


class ParticipantsOut(Schema):
    patrol_id = fields.UUID()
    recorder_id = fields.Integer()
    participants = fields.List(fields.Nested(ParticipantIn))


class JointQuery(RangeQuery):
    pass
