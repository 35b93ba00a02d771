"""Lean path for OsmAnd fixes: the common case in one SQL statement, in front of the Flask app.

Why it exists: every tracker sends one fix per request every few seconds, so this endpoint gets far more
requests than any other. Through the app a fix costs the whole Flask/flask-smorest cycle and about six
database round trips (pool pre-ping, device and patrol lookup, insert, commit). This WSGI layer answers the
common case — a known device whose latest tracker patrol is open, of the fix's local day, and heard from
within the silence — with one INSERT … SELECT on a psycopg connection kept per thread. It runs in autocommit,
so the insert is committed (synchronously, as the server is set up) before the 200 goes out: an answered fix
is never lost. Flags are those points.py sets (accuracy, far outside the grid); the speed-jump flag needs
neighbours and is re-derived over the whole track when the figures are computed, as for any single fix.

Everything else goes to the app untouched and gets the full path's answer (trackers.receive_fix): JSON
bodies, unknown devices and malformed fixes (400 in the one error shape), no open patrol, silence exceeded
or a new day (patrols closed and opened), ended patrols, a month whose partition this process has not seen,
any database error. A lean answer carries the app's security headers and request id, and is counted and
logged like the app's own requests (patrol/system/hooks.py). OSMAND_LEAN_PATH=false turns it off.
"""

import math
import threading
import time
from datetime import UTC, datetime, timedelta
from io import BytesIO
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

import psycopg
from sqlalchemy import event
from sqlalchemy.engine import make_url

from patrol.errors import DomainError
from patrol.localtime import utcnow
from patrol.patrols.models import FLAG_FAR_OUTSIDE, FLAG_LOW_ACCURACY
from patrol.patrols.partitions import known_to_exist
from patrol.patrols.settings import setting_in
from patrol.patrols.trackers import key_digest, parse_fix
from patrol.system import logs, monitoring
from patrol.system.hooks import security_header_items

PATH = "/api/v1/osmand"  # the URL rule of routes.OsmAnd, also the endpoint label of logs and metrics
_MAX_FORM_BYTES = 4096

# The lookup is trackers._LATEST narrowed to a joinable patrol (trackers._joinable); the insert is one row
# of points._INSERT. `joined` 0 means "not the common case": nothing was written, the app decides.
_STORE = f"""
WITH latest AS (
    SELECT p.id, p.grid_id, p.district_code, p.started_at,
           (SELECT max(t.fix_time) FROM track_point t
            WHERE t.patrol_id = p.id AND t.fix_time >= p.started_at - interval '12 hours') AS last_fix
    FROM tracker_device d
    CROSS JOIN LATERAL (
        SELECT id, grid_id, district_code, started_at, ended_at FROM patrol
        WHERE worker_id = d.user_id AND source = 'osmand' AND started_at <= %(fix)s + interval '12 hours'
        ORDER BY started_at DESC LIMIT 1
    ) p
    WHERE d.key_hash = %(key_hash)s AND p.ended_at IS NULL
      AND p.started_at >= %(day_start)s AND p.started_at < %(day_end)s
), target AS (
    SELECT l.id, l.district_code, a.geom AS grid_geom
    FROM latest l JOIN area a ON a.id = l.grid_id
    WHERE %(fix)s - coalesce(l.last_fix, l.started_at) <= %(silence)s
), point AS (
    SELECT to_timestamp(%(t)s::float8 / 1000.0) AS fix_time,
           ST_SetSRID(ST_MakePoint(%(lon)s::float8, %(lat)s::float8), 4326) AS geom,
           %(acc)s::float4 AS acc, %(spd)s::float4 AS spd, %(hdg)s::float4 AS hdg
), inserted AS (
    INSERT INTO track_point (patrol_id, fix_time, district_code, geom, accuracy, speed, heading, flag)
    SELECT t.id, p.fix_time, t.district_code, p.geom, p.acc, p.spd, p.hdg,
           (CASE WHEN p.acc > %(max_acc)s::float8 THEN {FLAG_LOW_ACCURACY} ELSE 0 END)
         | (CASE WHEN NOT ST_DWithin(t.grid_geom, p.geom, %(far_deg)s::float8) THEN {FLAG_FAR_OUTSIDE} ELSE 0 END)
    FROM target t CROSS JOIN point p
    ON CONFLICT DO NOTHING
    RETURNING 1
)
SELECT (SELECT count(*) FROM target) AS joined, (SELECT count(*) FROM inserted) AS stored
"""


def install(app):
    """Put the lean path in front of the app's WSGI callable; its connections close with the app's engine."""
    from patrol.extensions import db

    lean = LeanOsmAnd(app, app.wsgi_app)
    app.wsgi_app = lean
    with app.app_context():
        event.listen(db.engines[None], "engine_disposed", lean.close)
    return lean


class LeanOsmAnd:
    """WSGI middleware: stores the common OsmAnd fix itself, hands every other request to the app."""

    def __init__(self, app, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app
        url = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).set(drivername="postgresql")
        self._conninfo = url.render_as_string(hide_password=False)
        self._connect_args = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}).get("connect_args", {}))
        self._prepare = not app.config.get("DB_PGBOUNCER")  # PgBouncer's transaction pooling cannot keep them
        self._local = threading.local()
        self._connections = set()
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") != PATH or not self.app.config["OSMAND_LEAN_PATH"]:
            return self.wsgi_app(environ, start_response)
        started = time.perf_counter()
        params = _params(environ)
        if params is None or not self._store(params):
            return self.wsgi_app(environ, start_response)
        return _answer(environ, start_response, started)

    def _store(self, params):
        """True when the fix was the common case and is now stored (or was already); False: ask the app."""
        try:
            key, row = parse_fix(params, None)
        except DomainError:
            return False
        fix = datetime.fromtimestamp(row[0] / 1000, UTC)
        if fix > utcnow() + timedelta(days=1) or not known_to_exist(fix):
            return False
        config = self.app.config
        local_day = fix.astimezone(ZoneInfo(config["TIMEZONE"])).date()
        day_start = datetime(local_day.year, local_day.month, local_day.day, tzinfo=ZoneInfo(config["TIMEZONE"]))
        next_day = local_day + timedelta(days=1)
        args = {
            "key_hash": key_digest(key),
            "fix": fix,
            "day_start": day_start,
            "day_end": datetime(next_day.year, next_day.month, next_day.day, tzinfo=day_start.tzinfo),
            "silence": timedelta(minutes=setting_in(config, "PATROL_TRACKER_SILENCE_MIN")),
            "t": row[0],
            "lon": row[1],
            "lat": row[2],
            "acc": row[3],
            "spd": row[4],
            "hdg": row[5],
            "max_acc": setting_in(config, "PATROL_MAX_ACCURACY_M"),
            "far_deg": setting_in(config, "PATROL_FAR_OUTSIDE_M") / (111_320.0 * math.cos(math.radians(row[2]))),
        }
        try:
            cursor = self._cursor()
            cursor.execute(_STORE, args, prepare=self._prepare)
            joined, _ = cursor.fetchone()
        except psycopg.Error:
            self._discard()  # the app answers (503 when the database is gone) and retries are idempotent
            return False
        return joined == 1

    def _cursor(self):
        """This thread's cursor on its own connection, opened on first use or after a failure."""
        cursor = getattr(self._local, "cursor", None)
        if cursor is None or cursor.closed or cursor.connection.closed:
            conn = psycopg.connect(self._conninfo, autocommit=True, **self._connect_args)
            with self._lock:
                self._connections.add(conn)
            self._local.conn, self._local.cursor = conn, conn.cursor()
            cursor = self._local.cursor
        return cursor

    def _discard(self):
        conn = getattr(self._local, "conn", None)
        self._local.conn = self._local.cursor = None
        if conn is not None:
            with self._lock:
                self._connections.discard(conn)
            conn.close()

    def close(self, *_):
        """Close every thread's connection (when the app's engine is disposed)."""
        with self._lock:
            connections, self._connections = self._connections, set()
        for conn in connections:
            conn.close()


def _first_wins(query):
    params = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        params.setdefault(name, value)  # as werkzeug's MultiDict.to_dict()
    return params


def _params(environ):
    """The fix's parameters as routes.OsmAnd reads them, or None when the app should read them itself."""
    method = environ.get("REQUEST_METHOD")
    query = environ.get("QUERY_STRING", "")
    if not query.isascii():
        return None
    if method == "GET":
        return _first_wins(query)
    if method != "POST" or environ.get("HTTP_TRANSFER_ENCODING"):
        return None
    length = environ.get("CONTENT_LENGTH") or "0"
    mimetype = environ.get("CONTENT_TYPE", "").partition(";")[0].strip().lower()
    if not length.isdigit() or int(length) > _MAX_FORM_BYTES:
        return None
    if int(length) == 0 and mimetype in ("", "application/x-www-form-urlencoded"):
        return _first_wins(query)
    if mimetype != "application/x-www-form-urlencoded":
        return None
    body = environ["wsgi.input"].read(int(length))
    environ["wsgi.input"] = BytesIO(body)  # the app can still read it when the fix goes there
    environ["CONTENT_LENGTH"] = str(len(body))
    if not body.isascii():
        return None
    return {**_first_wins(query), **_first_wins(body.decode("ascii"))}


def _answer(environ, start_response, started):
    """200 with an empty body, the app's headers, access line and metrics."""
    request_id = logs.request_id_from(environ.get("HTTP_X_REQUEST_ID"))
    method = environ["REQUEST_METHOD"]
    headers = [
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Content-Length", "0"),
        *security_header_items(environ.get("wsgi.url_scheme") == "https"),
        ("Cache-Control", "no-store"),
        (logs.REQUEST_ID_HEADER, request_id),
    ]
    start_response("200 OK", headers)
    remote = environ.get("REMOTE_ADDR")
    logs.write_access_line_outside_flask(request_id, method, PATH, PATH, 200, started, remote)
    monitoring.count_request(method, PATH, 200, started)
    return [b""]
