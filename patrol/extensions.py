"""Extensions, created unbound and attached to the app in create_app()."""

from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from marshmallow import Schema, fields
from sqlalchemy.orm import DeclarativeBase

from patrol.errors import http_exception_response


class Base(DeclarativeBase):
    pass


class ErrorSchema(Schema):
    """The one error shape (patrol/errors.py), as documented in OpenAPI."""

    code = fields.String(metadata={"description": "stable dotted error code, e.g. patrol.grid_not_assigned"})
    status = fields.Integer(metadata={"description": "HTTP status"})
    message = fields.String(metadata={"description": "message in the Accept-Language (or DEFAULT_LANGUAGE)"})
    errors = fields.Dict(metadata={"description": "field -> problems"})


class PatrolApi(Api):
    """flask-smorest Api whose HTTP errors use the project's one error shape."""

    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error):
        return http_exception_response(error)


db = SQLAlchemy(model_class=Base)
migrate = Migrate(compare_type=True)
api = PatrolApi()
