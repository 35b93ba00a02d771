"""Health and readiness checks and serving the built PWA."""

import logging
import mimetypes
import os
from functools import cache

from alembic.config import Config
from alembic.script import ScriptDirectory
from flask import current_app, request, send_from_directory
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from patrol.errors import NotFound, ServiceUnavailable
from patrol.extensions import db
from patrol.localtime import tz, utcnow

log = logging.getLogger(__name__)


def may_see_details():
    """Versions and migration heads are for the operator: an admin token or the metrics token."""
    from patrol.auth.service import authenticate
    from patrol.system.monitoring import has_metrics_token

    if has_metrics_token():
        return True
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return False
    found = authenticate(token.strip())
    return found is not None and found[0].role == "admin"


def health():
    """Liveness, with database and PostGIS versions for the operator only; 503 when the database is down."""
    try:
        row = db.session.execute(text("SELECT current_setting('server_version'), postgis_lib_version()")).one()
    except SQLAlchemyError:
        db.session.rollback()
        raise ServiceUnavailable("system.database_unavailable") from None
    if not may_see_details():
        return {"status": "ok"}
    return {
        "status": "ok",
        "database": f"PostgreSQL {row[0]}",
        "postgis": row[1],
        "time": utcnow().astimezone(tz()),
        "timezone": current_app.config["TIMEZONE"],
    }


@cache
def migration_heads(directory):
    """The head revisions of the migration scripts shipped with this code."""
    config = Config()
    config.set_main_option("script_location", directory)
    return frozenset(ScriptDirectory.from_config(config).get_heads())


def _migrations_directory():
    directory = current_app.extensions["migrate"].directory
    if not os.path.isabs(directory) and not os.path.isdir(directory):
        directory = os.path.join(os.path.dirname(current_app.root_path), directory)
    return directory


def readiness():
    """Ready when the database answers and its migrations are exactly the code's heads; 503 otherwise."""
    try:
        applied = set(db.session.execute(text("SELECT version_num FROM alembic_version")).scalars())
    except SQLAlchemyError:
        db.session.rollback()
        raise ServiceUnavailable("system.database_unavailable") from None
    expected = migration_heads(_migrations_directory())
    if applied != expected:
        log.warning("not ready: database migrations %s, code heads %s", sorted(applied), sorted(expected))
        error = ServiceUnavailable("system.database_migrations_not_current")
        if may_see_details():
            error.errors = {"migrations": {"database": sorted(applied), "code": sorted(expected)}}
        raise error
    if not may_see_details():
        return {"status": "ready"}
    return {"status": "ready", "migrations": sorted(applied)}


def _send_gzipped(root, path):
    """The build's pre-compressed copy of a hashed asset (the phone downloads a third of the bytes)."""
    mimetype = mimetypes.guess_type(path)[0] or "application/octet-stream"
    response = send_from_directory(root, path + ".gz", max_age=31536000, mimetype=mimetype)
    response.headers["Content-Encoding"] = "gzip"
    response.headers["Vary"] = "Accept-Encoding"
    return response


def send_pwa_file(path):
    """A file of the built PWA; unknown paths without an extension get index.html (client routing)."""
    root = os.path.realpath(os.path.join(current_app.static_folder, "pwa", "dist"))
    if not os.path.isdir(root):
        raise NotFound("system.pwa_not_built")
    full = os.path.realpath(os.path.join(root, path))
    # realpath on both sides: the static folder is configured as ../static, and "path" may contain "..".
    if full.startswith(root + os.sep) and os.path.isfile(full):
        hashed = "/assets/" in full
        if hashed and os.path.isfile(full + ".gz") and "gzip" in request.headers.get("Accept-Encoding", ""):
            return _send_gzipped(root, path)
        response = send_from_directory(root, path, max_age=31536000 if hashed else 0)
        if not hashed:
            response.headers["Cache-Control"] = "no-cache"  # the service worker and shell must revalidate
        return response
    if "." in os.path.basename(path):
        raise NotFound("system.no_such_file")
    return send_from_directory(root, "index.html", max_age=0)
