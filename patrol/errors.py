"""Domain exceptions and the single JSON error shape {"code", "status", "message", "errors"}."""

import logging

from flask import jsonify
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException

from patrol.messages import CODE_PATTERN, text

log = logging.getLogger(__name__)

# Unique constraints whose violation means "a concurrent request created the same thing": 409, not 500.
UNIQUE_CONFLICTS = {
    "app_user_username_key": ("username", "auth.username_taken"),
    "uq_department_street_code": ("code", "incident.department_code_taken"),
    "uq_department_citywide_code": ("code", "incident.department_code_taken"),
    "uq_grid_assignment_start": ("start_date", "area.worker_already_holds_grid"),
    "task_pkey": ("id", "task.task_id_taken"),
}


def unique_conflict(error):
    """The Conflict for an IntegrityError of a known unique constraint, else None."""
    if not isinstance(error, IntegrityError):
        return None
    name = getattr(getattr(error.orig, "diag", None), "constraint_name", None)
    if name not in UNIQUE_CONFLICTS:
        return None
    field, code = UNIQUE_CONFLICTS[name]
    return Conflict(code, {field: [text("field.taken")]})


class DomainError(Exception):
    """A refusal in domain words: a catalogue code and its parameters; subclasses fix the HTTP status.

    ``raise Conflict("patrol.grid_not_assigned", grid=grid.code)`` answers 409 with
    ``code`` = that code and ``message`` rendered from patrol/messages/<language>.json.
    A literal message instead of a code is still accepted (transition only); the code is then the class default.
    """

    status_code = 400
    default_code = "request.bad_request"

    def __init__(self, code=None, errors=None, headers=None, **params):
        literal = None
        if code is not None and not CODE_PATTERN.match(code):
            literal, code = code, None
        super().__init__(code or literal or self.default_code)
        self.code = code or self.default_code
        self.literal = literal
        self.params = params
        self.errors = errors or {}
        self.headers = headers or {}

    @property
    def message(self):
        """The message in the request's language (or the literal of an unconverted raise)."""
        return self.literal or text(self.code, **self.params)


class BadRequest(DomainError):
    status_code = 400


class Unauthorized(DomainError):
    status_code = 401
    default_code = "auth.required"

    def __init__(self, code=None, errors=None, **params):
        super().__init__(code, errors, {"WWW-Authenticate": 'Bearer realm="gridpatrol"'}, **params)


class Forbidden(DomainError):
    status_code = 403
    default_code = "auth.forbidden"


class NotFound(DomainError):
    status_code = 404
    default_code = "request.not_found"


def replay_or_conflict(earlier, same, message, errors=None):
    """An idempotent create met its id again: the earlier record when `same` (a replay), else 409."""
    if not same:
        raise Conflict(message, errors)
    return earlier


class Conflict(DomainError):
    status_code = 409
    default_code = "request.conflict"


class PreconditionFailed(DomainError):
    status_code = 412
    default_code = "request.precondition_failed"


class PayloadTooLarge(DomainError):
    status_code = 413
    default_code = "request.too_large"


class Invalid(DomainError):
    status_code = 422
    default_code = "request.validation_failed"


class TooManyRequests(DomainError):
    status_code = 429
    default_code = "request.too_many"

    def __init__(self, code, retry_after_seconds, **params):
        super().__init__(code, headers={"Retry-After": str(int(retry_after_seconds))}, **params)


class ServiceUnavailable(DomainError):
    status_code = 503
    default_code = "server.unavailable"

    def __init__(self, code=None, retry_after=5, **params):
        super().__init__(code, headers={"Retry-After": str(retry_after)}, **params)


HTTP_CODES = {
    400: "request.bad_request",
    401: "auth.required",
    403: "auth.forbidden",
    404: "request.not_found",
    405: "request.method_not_allowed",
    409: "request.conflict",
    412: "request.precondition_failed",
    413: "request.too_large",
    415: "request.unsupported_media_type",
    422: "request.validation_failed",
    428: "request.precondition_required",
    429: "request.too_many",
    500: "server.internal_error",
    503: "server.unavailable",
}


def code_for_status(status_code):
    """The generic code of an HTTP status (for errors raised outside our domain classes)."""
    return HTTP_CODES.get(status_code, "server.internal_error" if status_code >= 500 else "request.bad_request")


def error_payload(status_code, code=None, message=None, errors=None, **params):
    """The one error body every failing request gets: a dotted code, the HTTP status, one-language message."""
    code = code or code_for_status(status_code)
    return {
        "code": code,
        "status": status_code,
        "message": message or text(code, **params),
        "errors": errors or {},
    }


def error_response(status_code, code=None, message=None, errors=None, headers=None, **params):
    response = jsonify(error_payload(status_code, code, message, errors, **params))
    response.status_code = status_code
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def domain_error_response(error):
    return error_response(error.status_code, error.code, error.message, error.errors, error.headers)


def http_exception_response(error: HTTPException):
    """Werkzeug/webargs HTTP errors (404, 405, 413, 422 from schemas, …) in the error shape."""
    data = getattr(error, "data", None) or {}
    errors = data.get("errors") or data.get("messages") or {}
    status = error.code or 500
    code = data.get("code") if CODE_PATTERN.match(str(data.get("code") or "")) else None
    if code is None:
        code = "request.invalid_json" if status == 400 and _is_json_error(errors) else code_for_status(status)
    headers = dict(data.get("headers") or {})
    if error.code == 405 and getattr(error, "valid_methods", None):
        headers["Allow"] = ", ".join(error.valid_methods)
    return error_response(status, code, None, errors, headers)


def _is_json_error(errors):
    return isinstance(errors, dict) and "json" in errors and set(errors["json"]) == {"Invalid JSON body."}


def register_error_handlers(app):
    """Install handlers so that no request can answer outside the error shape."""

    @app.errorhandler(DomainError)
    def handle_domain_error(error):
        return domain_error_response(error)

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
            return error_response(422, "request.value_out_of_range")
        conflict = unique_conflict(error)
        if conflict is not None:
            _roll_back()  # a concurrent request stored the same record first
            return domain_error_response(conflict)
        log.error("database error: %s", _describe(error))
        return error_response(500, "server.internal_error")

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
        return error_response(400, "request.invalid_unicode")

    @app.errorhandler(RecursionError)
    def handle_deep_nesting(error):
        return error_response(400, "request.json_too_deep")

    @app.errorhandler(Exception)
    def handle_unexpected(error):
        if isinstance(error, HTTPException):
            return http_exception_response(error)
        log.exception("unhandled error")
        return error_response(500, "server.internal_error")


def _describe(error):
    """The failing statement's error class and SQLSTATE, never its parameters or quoted values."""
    orig = getattr(error, "orig", None)
    return f"{type(orig or error).__name__} (SQLSTATE {getattr(orig, 'sqlstate', None) or '?'})"


def _unavailable():
    return domain_error_response(ServiceUnavailable())
