"""Request and response shapes for visits, due lists, intervals and visit statistics."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from patrol import fields as bounded
from patrol import messages
from patrol.geo import geometry_field
from patrol.people.categories import CODES
from patrol.people.schemas import CONDITIONS, DB_ID, FORMATS, METHODS

PHOTO_ID = validate.Regexp(r"^[0-9a-f]{64}$", error=messages.text("people.photo_id_format"))


class VisitIncidentIn(Schema):
    id = fields.UUID(load_default=None)
    category = fields.String(required=True, validate=validate.Length(min=1, max=32))
    description = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    photo_ids = fields.List(fields.String(validate=PHOTO_ID), load_default=list, validate=validate.Length(max=9))


class VisitIn(Schema):
    id = fields.UUID(required=True, metadata={"description": "chosen by the phone; a replay returns the original"})
    person_id = fields.Integer(required=True, validate=DB_ID)
    visited_at = fields.AwareDateTime(required=True)
    location = geometry_field(allowed=("Point",), load_default=None, allow_none=True)
    method = fields.String(required=True, validate=validate.OneOf(METHODS))
    condition = fields.String(required=True, validate=validate.OneOf(CONDITIONS))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    photo_ids = fields.List(fields.String(validate=PHOTO_ID), load_default=list, validate=validate.Length(max=9))
    patrol_id = fields.UUID(load_default=None, allow_none=True)
    incident = fields.Nested(VisitIncidentIn, load_default=None, allow_none=True)

    @validates_schema
    def _incident_only_when_abnormal(self, data, **kwargs):
        if data.get("incident") and data.get("condition") != "异常":
            raise ValidationError(messages.text("people.incident_needs_abnormal_visit"), "incident")


class VisitOut(Schema):
    id = fields.UUID()
    person_id = fields.Integer()
    person_name = fields.String()
    worker_id = fields.Integer()
    grid_id = fields.Integer()
    visited_at = fields.AwareDateTime()
    visit_date = bounded.Date()
    location = fields.Dict(allow_none=True)
    method = fields.String()
    condition = fields.String()
    note = fields.String(allow_none=True)
    photo_ids = fields.List(fields.String())
    patrol_id = fields.UUID(allow_none=True)
    incident_id = fields.UUID(allow_none=True)
    next_due_date = bounded.Date(allow_none=True)
    created_at = fields.AwareDateTime()


class VisitQuery(Schema):
    person_id = fields.Integer(load_default=None, validate=DB_ID)
    area_id = fields.Integer(load_default=None, validate=DB_ID)
    from_day = bounded.Date(load_default=None, data_key="from")
    to_day = bounded.Date(load_default=None, data_key="to")
    before = fields.AwareDateTime(load_default=None)
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class VisitDueQuery(Schema):
    area_id = fields.Integer(load_default=None, validate=DB_ID)
    within_days = fields.Integer(load_default=7, validate=validate.Range(min=0, max=366))
    lon = fields.Float(load_default=None, allow_nan=False, validate=validate.Range(min=-180, max=180))
    lat = fields.Float(load_default=None, allow_nan=False, validate=validate.Range(min=-90, max=90))
    limit = fields.Integer(load_default=500, validate=validate.Range(min=1, max=5000))


class VisitDueItem(Schema):
    person_id = fields.Integer()
    name = fields.String()
    id_number = fields.String()
    phone = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    location = fields.Dict(allow_none=True)
    grid_id = fields.Integer()
    grid_code = fields.String()
    attention_level = fields.Integer()
    categories = fields.List(fields.String())
    last_visit_date = bounded.Date(allow_none=True)
    interval_days = fields.Integer()
    due_date = bounded.Date()
    days_overdue = fields.Integer(metadata={"description": "positive when overdue, negative when still ahead"})
    distance_m = fields.Float(allow_none=True)


class VisitIntervalItem(Schema):
    category = fields.String(required=True, validate=validate.OneOf(CODES))
    label = fields.String(dump_only=True)
    attention_level = fields.Integer(required=True, validate=validate.Range(min=1, max=3))
    days = fields.Integer(required=True, validate=validate.Range(min=1, max=366))


class VisitIntervalsIn(Schema):
    intervals = fields.List(fields.Nested(VisitIntervalItem), required=True, validate=validate.Length(min=1, max=100))


class VisitStatsQuery(Schema):
    from_day = bounded.Date(load_default=None, data_key="from")
    to_day = bounded.Date(load_default=None, data_key="to")
    area_id = fields.Integer(load_default=None, validate=DB_ID)
    group_by = fields.String(load_default="category", validate=validate.OneOf(("category", "grid", "worker")))
    format = fields.String(load_default="json", validate=validate.OneOf(FORMATS))


class VisitStatsRow(Schema):
    key = fields.String()
    label = fields.String()
    persons = fields.Integer()
    done = fields.Integer()
    due = fields.Integer()
    on_time = fields.Integer()
    overdue = fields.Integer()
    on_time_rate = fields.Float(allow_none=True)
