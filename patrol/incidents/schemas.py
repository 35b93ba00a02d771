"""Incident report, actions, filters and output; categories, departments and the holiday calendar."""

from marshmallow import Schema, fields, validate

from patrol import fields as bounded
from patrol.geo import geometry_field
from patrol.incidents.models import ALL_SOURCES, DEADLINE_UNITS, SOURCES, STATUSES
from patrol.incidents.workflow import ACTIONS

ID_RANGE = validate.Range(min=1, max=2**31 - 1)
PHOTO_IDS = fields.List(
    fields.String(validate=validate.Regexp(r"^[0-9a-f]{64}$")), load_default=list, validate=validate.Length(max=9)
)


class IncidentIn(Schema):
    """A report from the phone or the review page; `id` is chosen by the client (UUID)."""

    id = fields.UUID(required=True)
    location = geometry_field(allowed=("Point",), required=True)
    category = fields.String(required=True, validate=validate.Length(min=2, max=10))
    description = fields.String(load_default="", validate=validate.Length(max=2000))
    source = fields.String(load_default="patrol", validate=validate.OneOf(SOURCES))
    patrol_id = fields.UUID(load_default=None)
    visit_id = fields.UUID(load_default=None)
    photo_ids = PHOTO_IDS
    handled_on_spot = fields.Boolean(load_default=False)
    note = fields.String(load_default=None, validate=validate.Length(max=2000))
    reported_at = fields.AwareDateTime(load_default=None)


class ActionIn(Schema):
    action = fields.String(required=True, validate=validate.OneOf(ACTIONS))
    note = fields.String(load_default=None, validate=validate.Length(max=2000))
    department_id = fields.Integer(load_default=None, validate=ID_RANGE)
    photo_ids = PHOTO_IDS
    into_id = fields.UUID(load_default=None, metadata={"description": "merge: the incident this one duplicates"})


class IncidentQuery(Schema):
    status = fields.List(fields.String(validate=validate.OneOf(STATUSES)), load_default=None)
    category = fields.String(
        load_default=None,
        validate=validate.Regexp(r"^\d{2,10}$"),
        metadata={"description": "category code or prefix: 04 = 环境卫生 and all its sub-categories"},
    )
    department_id = fields.Integer(load_default=None, validate=ID_RANGE)
    grid_id = fields.Integer(load_default=None, validate=ID_RANGE)
    source = fields.String(load_default=None, validate=validate.OneOf(ALL_SOURCES))
    handled_on_spot = fields.Boolean(load_default=None)
    overdue = fields.Boolean(
        load_default=None, metadata={"description": "dispatched, in progress or resolved, and past the due time"}
    )
    open = fields.Boolean(load_default=None)
    mine = fields.Boolean(load_default=False)
    date_from = bounded.Date(load_default=None, data_key="from")
    date_to = bounded.Date(load_default=None, data_key="to")
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(
        load_default=None,
        validate=validate.Length(max=200),
        metadata={"description": "keyset pagination: the next_cursor of the previous page (newest first)"},
    )


class IncidentOut(Schema):
    id = fields.UUID()
    status = fields.String()
    category = fields.Dict()
    description = fields.String()
    source = fields.String()
    location = fields.Dict()
    grid = fields.Dict()
    reporter = fields.Dict(allow_none=True)
    department = fields.Dict(allow_none=True)
    patrol_id = fields.UUID(allow_none=True)
    visit_id = fields.UUID(allow_none=True)
    handled_on_spot = fields.Boolean()
    note = fields.String(allow_none=True)
    reported_at = bounded.DateTime()
    accepted_at = bounded.DateTime(allow_none=True)
    dispatched_at = bounded.DateTime(allow_none=True)
    due_at = bounded.DateTime(allow_none=True)
    resolved_at = bounded.DateTime(allow_none=True)
    closed_at = bounded.DateTime(allow_none=True)
    overdue = fields.Boolean()
    closed_late = fields.Boolean()
    rework_count = fields.Integer()
    reopen_count = fields.Integer()
    merged_into = fields.UUID(allow_none=True)
    version = fields.Integer()
    updated_at = bounded.DateTime()
    allowed_actions = fields.List(fields.String())
    upstream_deadline = fields.DateTime(
        allow_none=True, metadata={"description": "an upstream work order's deadline (governs 按期结案率)"}
    )
    upstream = fields.Dict(
        allow_none=True, metadata={"description": "source upstream: the client and its work-order id"}
    )
    photo_ids = fields.List(fields.String())
    history = fields.List(fields.Dict())
    merged_from = fields.List(fields.Dict())
    possible_duplicates = fields.List(fields.Dict())


class IncidentPage(Schema):
    items = fields.List(fields.Nested(IncidentOut))
    next_cursor = fields.String(allow_none=True)


class CategoryIn(Schema):
    code = fields.String(required=True, validate=validate.Regexp(r"^\d{2,10}$"))
    name = fields.String(required=True, validate=validate.Length(min=1, max=60))
    parent_code = fields.String(load_default=None)
    department_code = fields.String(load_default=None, validate=validate.Length(max=40))
    deadline_value = fields.Integer(load_default=3, validate=validate.Range(min=1, max=1000))
    deadline_unit = fields.String(load_default="workdays", validate=validate.OneOf(DEADLINE_UNITS))
    sort = fields.Integer(load_default=0, validate=validate.Range(min=-10000, max=10000))


class CategoryPatch(Schema):
    name = fields.String(validate=validate.Length(min=1, max=60))
    department_code = fields.String(allow_none=True, validate=validate.Length(max=40))
    deadline_value = fields.Integer(validate=validate.Range(min=1, max=1000))
    deadline_unit = fields.String(validate=validate.OneOf(DEADLINE_UNITS))
    sort = fields.Integer(validate=validate.Range(min=-10000, max=10000))
    active = fields.Boolean()


class CategoryOut(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    parent_id = fields.Integer(allow_none=True)
    department_code = fields.String(allow_none=True)
    deadline_value = fields.Integer()
    deadline_unit = fields.String()
    sort = fields.Integer(validate=validate.Range(min=-10000, max=10000))
    active = fields.Boolean()


class CategoryQuery(Schema):
    include_inactive = fields.Boolean(load_default=False)


class DepartmentIn(Schema):
    street_code = fields.String(load_default=None, validate=validate.Regexp(r"^\d{9}$"))
    city_wide = fields.Boolean(load_default=False)
    code = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9_-]{2,40}$"))
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    phone = fields.String(load_default=None, validate=validate.Length(max=40))


class DepartmentPatch(Schema):
    name = fields.String(validate=validate.Length(min=1, max=100))
    phone = fields.String(allow_none=True, validate=validate.Length(max=40))
    active = fields.Boolean()


class DepartmentOut(Schema):
    id = fields.Integer()
    street_id = fields.Integer(allow_none=True)
    code = fields.String()
    name = fields.String()
    phone = fields.String(allow_none=True)
    active = fields.Boolean()


class HolidayIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=60))
    is_workday = fields.Boolean(load_default=False, metadata={"description": "true: a weekend made a working day"})


class HolidayOut(Schema):
    day = bounded.Date()
    name = fields.String()
    is_workday = fields.Boolean()


class HolidayQuery(Schema):
    year = fields.Integer(load_default=None, validate=validate.Range(min=2000, max=2100))


class StatsQuery(Schema):
    date_from = bounded.Date(required=True, data_key="from")
    date_to = bounded.Date(required=True, data_key="to")
    area_id = fields.Integer(load_default=None, validate=ID_RANGE)
    group_by = fields.String(
        load_default="category", validate=validate.OneOf(("category", "department", "grid", "day", "source"))
    )
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv", "xlsx")))
