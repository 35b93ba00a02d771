"""Domain exceptions and the single JSON error shape {"code", "status", "message", "errors"}."""

import logging
from http import HTTPStatus

from flask import jsonify
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

# Unique constraints whose violation means "a concurrent request created the same thing": 409, not 500.
UNIQUE_CONFLICTS = {
    "app_user_username_key": ("username", "用户名已存在 / username is taken"),
    "uq_department_street_code": ("code", "部门编码已存在 / department code taken"),
    "uq_department_citywide_code": ("code", "部门编码已存在 / department code taken"),
    "uq_grid_assignment_start": ("start_date", "该网格员此期间已负责该网格 / the worker already holds this grid then"),
    "task_pkey": ("id", "任务编号已被使用 / this task id is taken"),
}


def unique_conflict(error):
    """The Conflict for an IntegrityError of a known unique constraint, else None."""
    if not isinstance(error, IntegrityError):
        return None
    name = getattr(getattr(error.orig, "diag", None), "constraint_name", None)
    if name not in UNIQUE_CONFLICTS:
        return None
    field, message = UNIQUE_CONFLICTS[name]
    return Conflict(message, {field: ["taken"]})


class DomainError(Exception):
    """A refusal in domain words; subclasses fix the HTTP status."""

    status_code = 400

    def __init__(self, message, errors=None, headers=None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}
        self.headers = headers or {}


class BadRequest(DomainError):
    status_code = 400


class Unauthorized(DomainError):
    status_code = 401

    def __init__(self, message="请先登录 / authentication required", errors=None):
        super().__init__(message, errors, {"WWW-Authenticate": 'Bearer realm="gridpatrol"'})


class Forbidden(DomainError):
    status_code = 403


class NotFound(DomainError):
    status_code = 404


def replay_or_conflict(earlier, same, message, errors=None):
    """An idempotent create met its id again: the earlier record when `same` (a replay), else 409."""
    if not same:
        raise Conflict(message, errors)
    return earlier


class Conflict(DomainError):
    status_code = 409


class PreconditionFailed(DomainError):
    status_code = 412


class PayloadTooLarge(DomainError):
    status_code = 413


class Invalid(DomainError):
    status_code = 422


class TooManyRequests(DomainError):
    status_code = 429

    def __init__(self, message, retry_after_seconds):
        super().__init__(message, headers={"Retry-After": str(int(retry_after_seconds))})


class ServiceUnavailable(DomainError):
    status_code = 503

    def __init__(self, message="服务暂不可用，请稍后重试 / service temporarily unavailable", retry_after=5):
        super().__init__(message, headers={"Retry-After": str(retry_after)})


def error_payload(status_code, message=None, errors=None):
    """The one error body every failing request gets."""
    phrase = HTTPStatus(status_code).phrase if status_code in HTTPStatus._value2member_map_ else "Error"
    return {
        "code": status_code,
        "status": phrase,
        "message": message or phrase,
        "errors": errors or {},
    }


def error_response(status_code, message=None, errors=None, headers=None):
    response = jsonify(error_payload(status_code, message, errors))
    response.status_code = status_code
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def http_exception_response(error: HTTPException):
    """Werkzeug/webargs HTTP errors (404, 405, 413, 422 from schemas, …) in the error shape."""
    data = getattr(error, "data", None) or {}
    errors = data.get("errors") or data.get("messages") or {}
    message = data.get("message")
    if not message:
        message = _default_message(error)
    headers = dict(data.get("headers") or {})
    if error.code == 405 and getattr(error, "valid_methods", None):
        headers["Allow"] = ", ".join(error.valid_methods)
    return error_response(error.code or 500, message, errors, headers)


def _default_message(error):
    if error.code == 422:
        return "请求内容校验失败 / the request did not pass validation"
    if error.code == 413:
        return "请求体过大 / the request body is too large"
    if error.code == 400 and error.description:
        return error.description
    return error.name


def register_error_handlers(app):
    """Install handlers so that no request can answer outside the error shape."""

    @app.errorhandler(DomainError)
    def handle_domain_error(error):
        return error_response(error.status_code, error.message, error.errors, error.headers)

    @app.errorhandler(OperationalError)
    def handle_database_down(error):
        log.warning("database unavailable: %s", str(error).splitlines()[0])
        return _unavailable()

    @app.errorhandler(DBAPIError)
    def handle_database_error(error):
        if error.connection_invalidated:
            return _unavailable()
        if isinstance(error, DataError):
            # A value the schema let through but the column cannot hold (e.g. an integer past int4).
            # The driver's message quotes the refused value: log only its class and SQLSTATE.
            log.warning("database refused a value: %s", _describe(error))
            _roll_back()  # the request's session stays usable (and nothing of it is kept)
            return error_response(422, "数值超出允许范围 / a value is out of the allowed range")
        conflict = unique_conflict(error)
        if conflict is not None:
            _roll_back()  # a concurrent request stored the same record first
            return error_response(409, conflict.message, conflict.errors)
        log.error("database error: %s", _describe(error))
        return error_response(500, "服务器内部错误 / internal server error")

    def _roll_back():
        from patrol.extensions import db

        try:
            db.session.rollback()
        except DBAPIError:
            log.warning("rollback failed after a refused value")

    @app.teardown_appcontext
    def release_session_of_a_lost_database(exc):
        # Registered after Flask-SQLAlchemy, so it runs first: when the database dies mid-request,
        # the session's rollback raises past every error handler and gunicorn answers an HTML 500.
        from patrol.extensions import db

        try:
            db.session.remove()
        except DBAPIError:
            log.warning("database connection lost while releasing the session")
            db.session.registry.clear()

    @app.errorhandler(UnicodeError)
    def handle_unencodable_text(error):
        # Text no database encoding can hold (a lone surrogate from a form field or query string).
        _roll_back()
        return error_response(400, "请求含有无效的 Unicode 字符 / the request holds an invalid Unicode character")

    @app.errorhandler(RecursionError)
    def handle_deep_nesting(error):
        return error_response(400, "JSON 嵌套过深 / JSON nested too deeply")

    @app.errorhandler(Exception)
    def handle_unexpected(error):
        if isinstance(error, HTTPException):
            return http_exception_response(error)
        log.exception("unhandled error")
        return error_response(500, "服务器内部错误 / internal server error")


def _describe(error):
    """The failing statement's error class and SQLSTATE, never its parameters or quoted values."""
    orig = getattr(error, "orig", None)
    return f"{type(orig or error).__name__} (SQLSTATE {getattr(orig, 'sqlstate', None) or '?'})"


def _unavailable():
    err = ServiceUnavailable()
    return error_response(503, err.message, {}, err.headers)
