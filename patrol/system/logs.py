"""Structured logs: one JSON object per line (or plain text), each carrying the request id."""

import contextvars
import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from flask import g, has_request_context, request
from sqlalchemy import inspect

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:@/+=-]{1,128}$")
_RECORD_FIELDS = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "request_id"}
request_log = logging.getLogger("patrol.request")
# The request id of a request answered outside Flask (the lean OsmAnd path, patrol/patrols/fast_fixes.py).
_outside_flask_request_id = contextvars.ContextVar("outside_flask_request_id", default=None)


def request_id_from(incoming):
    """The caller's X-Request-ID when it is a sane token, else a new random id."""
    if incoming and _VALID_REQUEST_ID.match(incoming):
        return incoming
    return uuid.uuid4().hex


def current_request_id():
    """The id of the request being served, or None outside a request."""
    return g.get("request_id") if has_request_context() else _outside_flask_request_id.get()


class RequestIdFilter(logging.Filter):
    """Stamps every record with the current request id."""

    def filter(self, record):
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id and any `extra` fields."""

    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or current_request_id()
        if request_id:
            entry["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _RECORD_FIELDS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """Human-readable lines with the request id in brackets."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record):
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id() or "-"
        return super().format(record)


def _stamp_request_id(factory):
    def make_record(*args, **kwargs):
        record = factory(*args, **kwargs)
        record.request_id = current_request_id()
        return record

    make_record.stamps_request_id = True
    return make_record


def configure(app):
    """Send the root logger to stderr in the configured format; idempotent (one handler per process)."""
    factory = logging.getLogRecordFactory()
    if not getattr(factory, "stamps_request_id", False):
        logging.setLogRecordFactory(_stamp_request_id(factory))
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "_gridpatrol", False)]:
        root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler._gridpatrol = True
    handler.setFormatter(JsonFormatter() if app.config["LOG_FORMAT"] == "json" else TextFormatter())
    handler.addFilter(RequestIdFilter())
    root.addHandler(handler)
    root.setLevel(app.config["LOG_LEVEL"])


def start_request():
    """Remember the request id and the start time of this request."""
    g.request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
    g.pop("db_role", None)
    g.request_started = time.perf_counter()


def _caller_id(user):
    """The caller's id, read without loading the user again when a commit has expired it."""
    state = inspect(user, raiseerr=False) if user is not None else None
    if state is not None and state.identity:
        return state.identity[0]
    return getattr(user, "id", None)


def finish_request(response):
    """Return the request id in a header and write the access line of this request."""
    request_id = g.get("request_id") or request_id_from(None)
    response.headers[REQUEST_ID_HEADER] = request_id
    user = g.get("current_user")
    write_access_line(
        request.method,
        request.path,
        request.url_rule.rule if request.url_rule else None,
        response.status_code,
        g.get("request_started"),
        request.remote_addr,
        _caller_id(user),
        g.get("db_role", "primary"),
    )
    return response


def write_access_line(method, path, endpoint, status, started, remote_addr, user_id=None, db_role="primary"):
    """The one access line per request (also written by requests answered outside Flask)."""
    request_log.info(
        "%s %s %s",
        method,
        path,
        status,
        extra={
            "method": method,
            "path": path,
            "endpoint": endpoint,
            "status": status,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
            "remote_addr": remote_addr,
            "user_id": user_id,
            "db": db_role,
        },
    )


def write_access_line_outside_flask(request_id, *args):
    """write_access_line for a request served without a Flask request context, stamped with its id."""
    if not request_log.isEnabledFor(logging.INFO):
        return
    token = _outside_flask_request_id.set(request_id)
    try:
        write_access_line(*args)
    finally:
        _outside_flask_request_id.reset(token)
