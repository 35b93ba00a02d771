"""Login, logout, the caller's profile and user management."""

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from patrol.auth import service
from patrol.auth.schemas import LoginRequest, LoginResponse, PasswordChange, UserActive, UserCreate, UserOut, UserQuery
from patrol.auth.service import current_user

blp = Blueprint("auth", __name__, url_prefix="/api/v1", description="登录与用户 / sign-in and users")


@blp.route("/auth/login")
class Login(MethodView):
    @blp.arguments(LoginRequest)
    @blp.response(200, LoginResponse)
    def post(self, body):
        """Exchange a username and password for a bearer token (throttled)."""
        return service.login(body["username"], body["password"], request.headers.get("User-Agent"))


@blp.route("/auth/logout")
class Logout(MethodView):
    @blp.response(204)
    def post(self):
        """Revoke the token used for this request."""
        service.logout()


@blp.route("/auth/me")
class Me(MethodView):
    @blp.response(200, UserOut)
    def get(self):
        """The signed-in user."""
        return current_user()


@blp.route("/auth/password")
class Password(MethodView):
    @blp.arguments(PasswordChange)
    @blp.response(204)
    def post(self, body):
        """Change the caller's password; every existing token stops working."""
        service.change_password(current_user(), body["current_password"], body["new_password"])


@blp.route("/users")
class Users(MethodView):
    @blp.arguments(UserQuery, location="query")
    @blp.response(200, UserOut(many=True))
    def get(self, query):
        """Users inside the caller's area."""
        return service.list_users(current_user(), **query)

    @blp.arguments(UserCreate)
    @blp.response(201, UserOut)
    def post(self, body):
        """Create a user inside the caller's area, with a role no higher than theirs."""
        return service.create_user(actor=current_user(), **body)


@blp.route("/users/<int:user_id>")
class UserDetail(MethodView):
    @blp.response(200, UserOut)
    def get(self, user_id):
        """One user inside the caller's area."""
        return service.get_user(current_user(), user_id)

    @blp.arguments(UserActive)
    @blp.response(200, UserOut)
    def patch(self, body, user_id):
        """Deactivate (revoking their tokens) or reactivate a user."""
        return service.set_active(current_user(), user_id, body["active"])
