"""Request and response shapes for login and users."""

from marshmallow import Schema, fields, validate

from patrol.auth.roles import ROLES


class LoginRequest(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=256))


class UserOut(Schema):
    id = fields.Integer()
    username = fields.String()
    full_name = fields.String()
    role = fields.String()
    area_id = fields.Integer(allow_none=True)
    area_code = fields.Function(lambda user: user.area.code if user.area else None)
    area_name = fields.Function(lambda user: user.area.name if user.area else None)
    department_id = fields.Integer(allow_none=True)
    active = fields.Boolean()


class LoginResponse(Schema):
    access_token = fields.String()
    token_type = fields.String()
    expires_at = fields.AwareDateTime()
    user = fields.Nested(UserOut)


class PasswordChange(Schema):
    current_password = fields.String(required=True, validate=validate.Length(max=256))
    new_password = fields.String(required=True, validate=validate.Length(min=8, max=256))


class UserCreate(Schema):
    username = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_.\-]{3,64}$"))
    password = fields.String(required=True, validate=validate.Length(min=8, max=256))
    full_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    area_code = fields.String(load_default=None, validate=validate.Regexp(r"^\d{9}(\d{3}){0,2}$"))
    department_id = fields.Integer(load_default=None, validate=validate.Range(min=1))


class UserQuery(Schema):
    role = fields.String(load_default=None, validate=validate.OneOf(ROLES))


class UserActive(Schema):
    active = fields.Boolean(required=True)
