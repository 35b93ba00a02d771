"""Query strings of the report, export and review endpoints."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from patrol import fields as bounded
from patrol import messages
from patrol.localtime import today


class ReportQuery(Schema):
    date = bounded.Date(load_default=None, metadata={"description": "a day inside the period (default today)"})
    area_id = fields.Integer(load_default=None, strict=False, validate=validate.Range(min=1))
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "html", "xlsx"]))


class RangeQuery(Schema):
    from_ = bounded.Date(data_key="from", load_default=None)
    to = bounded.Date(load_default=None)
    area_id = fields.Integer(load_default=None, validate=validate.Range(min=1))

    @validates_schema
    def _ordered(self, data, **kwargs):
        if data.get("from_") and data.get("to") and data["from_"] > data["to"]:
            raise ValidationError(messages.text("report.from_after_to"), "from")


class TableExportQuery(RangeQuery):
    format = fields.String(load_default="xlsx", validate=validate.OneOf(["csv", "xlsx"]))


class DayQuery(Schema):
    date = bounded.Date(load_default=None)


class GpxQuery(DayQuery):
    grid_id = fields.Integer(load_default=None, validate=validate.Range(min=1))


class AreaQuery(Schema):
    area_id = fields.Integer(load_default=None, validate=validate.Range(min=1))


def day_or_today(value):
    return value or today()
