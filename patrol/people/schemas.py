"""Request and response shapes for persons and visits; ID numbers and phones leave only masked."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from patrol import fields as bounded
from patrol import messages
from patrol.geo import geometry_field
from patrol.people.categories import CODES

METHODS = ("入户", "电话", "视频", "其他")
CONDITIONS = ("正常", "需关注", "异常")
FORMATS = ("json", "csv", "xlsx")
DB_ID = validate.Range(min=1, max=2**31 - 1, error=messages.text("people.id_out_range"))


class PersonCategoryIn(Schema):
    category = fields.String(required=True, validate=validate.OneOf(CODES))
    extra = fields.Dict(load_default=dict)


def _unique_categories(items):
    codes = [c["category"] for c in items]
    if len(codes) != len(set(codes)):
        raise ValidationError(messages.text("people.category_listed_twice"))


class PersonIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=50))
    id_number = fields.String(required=True, validate=validate.Length(max=30))
    gender = fields.String(load_default=None, validate=validate.OneOf(("M", "F")))
    birth_date = bounded.Date(load_default=None)
    phone = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=30))
    address = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    location = geometry_field(allowed=("Point",), load_default=None, allow_none=True)
    grid_id = fields.Integer(load_default=None, allow_none=True, validate=DB_ID)
    categories = fields.List(
        fields.Nested(PersonCategoryIn),
        required=True,
        validate=[validate.Length(min=1, max=len(CODES)), _unique_categories],
    )
    attention_level = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=3))
    worker_ids = fields.List(
        fields.Integer(validate=DB_ID), load_default=None, allow_none=True, validate=validate.Length(max=20)
    )
    registered_on = bounded.Date(load_default=None)
    active = fields.Boolean(load_default=True)
    notes = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))

    @validates_schema
    def _located(self, data, **kwargs):
        if data.get("location") is None and data.get("grid_id") is None:
            raise ValidationError(messages.text("people.location_or_grid_required"), "location")


class PersonPatch(Schema):
    name = fields.String(validate=validate.Length(min=1, max=50))
    id_number = fields.String(validate=validate.Length(max=30))
    phone = fields.String(allow_none=True, validate=validate.Length(max=30))
    address = fields.String(allow_none=True, validate=validate.Length(max=200))
    location = geometry_field(allowed=("Point",))
    grid_id = fields.Integer(validate=DB_ID)
    categories = fields.List(
        fields.Nested(PersonCategoryIn), validate=[validate.Length(min=1, max=len(CODES)), _unique_categories]
    )
    attention_level = fields.Integer(validate=validate.Range(min=1, max=3))
    worker_ids = fields.List(fields.Integer(validate=DB_ID), validate=validate.Length(max=20))
    active = fields.Boolean()
    notes = fields.String(allow_none=True, validate=validate.Length(max=2000))


class PersonQuery(Schema):
    area_id = fields.Integer(load_default=None, validate=DB_ID)
    category = fields.String(load_default=None, validate=validate.OneOf(CODES))
    attention_level = fields.Integer(load_default=None, validate=validate.Range(min=1, max=3))
    active = fields.Boolean(load_default=None)
    q = fields.String(load_default=None, validate=validate.Length(min=1, max=50))
    after_id = fields.Integer(load_default=None, validate=validate.Range(min=0, max=2**31 - 1))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    format = fields.String(load_default="json", validate=validate.OneOf(FORMATS))
    unmasked = fields.Boolean(load_default=False)
    reason = fields.String(load_default=None, validate=validate.Length(min=2, max=200))


class PersonCategoryOut(Schema):
    category = fields.String()
    label = fields.String()
    extra = fields.Dict()


class PersonOut(Schema):
    id = fields.Integer()
    name = fields.String()
    gender = fields.String()
    birth_year = fields.Integer(metadata={"description": "the birth year only; never the full date"})
    age = fields.Integer(metadata={"description": "the age reached this year (from the birth year)"})
    id_number = fields.String(metadata={"description": "masked, e.g. 110101***********4 (region and check character)"})
    phone = fields.String(allow_none=True, metadata={"description": "masked, e.g. 138****5678"})
    address = fields.String(allow_none=True)
    location = fields.Dict(allow_none=True)
    grid_id = fields.Integer()
    grid_code = fields.String()
    attention_level = fields.Integer()
    categories = fields.List(fields.Nested(PersonCategoryOut))
    worker_ids = fields.List(fields.Integer())
    active = fields.Boolean()
    notes = fields.String(allow_none=True)
    registered_on = bounded.Date()
    last_visit_date = bounded.Date(allow_none=True)
    interval_days = fields.Integer()
    next_due_date = bounded.Date()
    updated_at = fields.AwareDateTime()


class PersonRevealIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=2, max=200))


class PersonRevealOut(Schema):
    id = fields.Integer()
    name = fields.String()
    id_number = fields.String()
    phone = fields.String(allow_none=True)


class LedgerImportQuery(Schema):
    dry_run = fields.Boolean(load_default=True)


class LedgerFile(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class LedgerProblem(Schema):
    row = fields.Integer()
    column = fields.String()
    reason = fields.String()


class LedgerImportResult(Schema):
    dry_run = fields.Boolean()
    rows = fields.Integer()
    created = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()
    problems = fields.List(fields.Nested(LedgerProblem))


class DuplicateQuery(Schema):
    resolved = fields.Boolean(load_default=None)


class DuplicateResolveIn(Schema):
    resolution = fields.String(required=True, validate=validate.OneOf(("keep_both", "keep_one")))
    keep_person_id = fields.Integer(load_default=None, allow_none=True, validate=DB_ID)
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class DuplicatePersonOut(Schema):
    id = fields.Integer()
    name = fields.String()
    grid_id = fields.Integer()
    grid_code = fields.String()
    id_number = fields.String(metadata={"description": "masked"})
    registered_on = fields.Date()
    active = fields.Boolean()


class PersonDuplicateOut(Schema):
    id = fields.Integer()
    created_at = fields.AwareDateTime()
    persons = fields.List(fields.Nested(DuplicatePersonOut))
    resolution = fields.String(allow_none=True)
    kept_person_id = fields.Integer(allow_none=True)
    note = fields.String(allow_none=True)
    resolved_at = fields.AwareDateTime(allow_none=True)
