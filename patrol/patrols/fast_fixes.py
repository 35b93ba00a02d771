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
from patrol.patrols.models import FLAG_FAR_OUTSIDE, FLAG_LOW_ACCURACY
from patrol.patrols.partitions import known_to_exist
from patrol.patrols.settings import outside_fix_window, setting_in
from patrol.patrols.tracker_fix import parse_fix
from patrol.patrols.trackers import key_digest
from patrol.system import logs, monitoring
from patrol.system.hooks import security_header_items

PATH = "/api/v1/osmand"  # the URL rule of routes.OsmAnd, also the endpoint label of logs and metrics
MAX_FORM_BYTES = 4096

# The lookup narrows tracker_patrols' rule to its common case: the fix lies after the start (its first fix) of
# the latest tracker patrol and at most the silence after its last fix, and that patrol is open and of the fix's
# local day; same-day patrols are always more than the silence apart, so no other patrol can claim it. Anything
# else (a fix before that start, a merge, a new patrol) is the app's. It notes the device's status as
# trackers.receive_fix does. The insert is
# points._INSERT's flags for single fixes. Fixes come as parallel arrays (one or many: the tracker gateway
# writes every fix that arrived meanwhile at once); the answer lists the ordinals of the fixes that were the
# common case and are stored (or were already). The others wrote nothing: the app decides for them.
STORE = f"""
WITH fix AS (
    SELECT * FROM unnest(CAST(%(key_hash)s AS text[]), CAST(%(fix)s AS timestamptz[]),
                         CAST(%(day_start)s AS timestamptz[]), CAST(%(day_end)s AS timestamptz[]),
                         CAST(%(t)s AS float8[]), CAST(%(lon)s AS float8[]), CAST(%(lat)s AS float8[]),
                         CAST(%(acc)s AS float4[]), CAST(%(spd)s AS float4[]), CAST(%(hdg)s AS float4[]),
                         CAST(%(far_deg)s AS float8[]), CAST(%(client)s AS text[]), CAST(%(battery)s AS float4[]),
                         CAST(%(charging)s AS bool[]))
                  WITH ORDINALITY AS f(key_hash, fix, day_start, day_end, t, lon, lat, acc, spd, hdg, far_deg,
                                       client, battery, charging, n)
), latest AS (
    SELECT f.*, p.id AS patrol_id, p.grid_id, p.district_code, p.started_at,
           (SELECT max(tp.fix_time) FROM track_point tp
            WHERE tp.patrol_id = p.id AND tp.fix_time >= p.started_at - interval '12 hours') AS last_fix
    FROM fix f
    JOIN tracker_device d ON d.key_hash = f.key_hash
    CROSS JOIN LATERAL (
        SELECT id, grid_id, district_code, started_at, ended_at FROM patrol
        WHERE worker_id = d.user_id AND source = 'osmand' AND started_at <= f.fix + interval '12 hours'
        ORDER BY started_at DESC LIMIT 1
    ) p
    WHERE p.ended_at IS NULL AND p.started_at >= f.day_start AND p.started_at < f.day_end
), target AS (
    SELECT l.*, ST_SetSRID(ST_MakePoint(l.lon, l.lat), 4326) AS geom, a.geom AS grid_geom
    FROM latest l JOIN area a ON a.id = l.grid_id
    WHERE l.fix - coalesce(l.last_fix, l.started_at) <= %(silence)s AND l.fix >= l.started_at
), seen AS (
    UPDATE tracker_device d SET last_fix_at = s.fix, client = s.client, battery = s.battery, charging = s.charging
    FROM (SELECT DISTINCT ON (key_hash) * FROM target ORDER BY key_hash, fix DESC) s
    WHERE d.key_hash = s.key_hash AND (d.last_fix_at IS NULL OR s.fix >= d.last_fix_at)
), inserted AS (
    INSERT INTO track_point (patrol_id, fix_time, district_code, geom, accuracy, speed, heading, flag)
    SELECT t.patrol_id, to_timestamp(t.t / 1000.0), t.district_code, t.geom, t.acc, t.spd, t.hdg,
           (CASE WHEN t.acc > %(max_acc)s::float8 THEN {FLAG_LOW_ACCURACY} ELSE 0 END)
         | (CASE WHEN NOT ST_DWithin(t.grid_geom, t.geom, t.far_deg) THEN {FLAG_FAR_OUTSIDE} ELSE 0 END)
    FROM target t
    ON CONFLICT DO NOTHING
)
SELECT n FROM target
"""
_PER_FIX = (
    "key_hash",
    "fix",
    "day_start",
    "day_end",
    "t",
    "lon",
    "lat",
    "acc",
    "spd",
    "hdg",
    "far_deg",
    "client",
    "battery",
    "charging",
)


def fix_args(config, params):
    """The values STORE needs for one fix, or None when the app must answer it (malformed, too new, …)."""
    try:
        key, row, meta = parse_fix(params, None)
    except DomainError:
        return None
    fix = datetime.fromtimestamp(row[0] / 1000, UTC)
    if outside_fix_window(fix, fix, config) is not None or not known_to_exist(fix):
        return None
    zone = ZoneInfo(config["TIMEZONE"])
    local_day = fix.astimezone(zone).date()
    next_day = local_day + timedelta(days=1)
    return {
        "key_hash": key_digest(key),
        "fix": fix,
        "day_start": datetime(local_day.year, local_day.month, local_day.day, tzinfo=zone),
        "day_end": datetime(next_day.year, next_day.month, next_day.day, tzinfo=zone),
        "t": row[0],
        "lon": row[1],
        "lat": row[2],
        "acc": row[3],
        "spd": row[4],
        "hdg": row[5],
        "far_deg": setting_in(config, "PATROL_FAR_OUTSIDE_M") / (111_320.0 * math.cos(math.radians(row[2]))),
        "client": meta.client,
        "battery": meta.battery,
        "charging": meta.charging,
    }


def store_arguments(config, fixes):
    """STORE's parameters for a list of fix_args results."""
    return {
        **{name: [fix[name] for fix in fixes] for name in _PER_FIX},
        "silence": timedelta(minutes=setting_in(config, "PATROL_TRACKER_SILENCE_MIN")),
        "max_acc": setting_in(config, "PATROL_MAX_ACCURACY_M"),
    }


def connection_settings(config):
    """(conninfo, connect arguments, prepare statements?) for psycopg connections beside the app's engine."""
    url = make_url(config["SQLALCHEMY_DATABASE_URI"]).set(drivername="postgresql")
    connect_args = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS", {}).get("connect_args", {}))
    prepare = not config.get("DB_PGBOUNCER")  # PgBouncer's transaction pooling cannot keep them
    return url.render_as_string(hide_password=False), connect_args, prepare


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
        self._conninfo, self._connect_args, self._prepare = connection_settings(app.config)
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
        fix = fix_args(self.app.config, params)
        if fix is None:
            return False
        try:
            cursor = self._cursor()
            cursor.execute(STORE, store_arguments(self.app.config, [fix]), prepare=self._prepare)
            return cursor.fetchone() is not None
        except psycopg.Error:
            self._discard()  # the app answers (503 when the database is gone) and retries are idempotent
            return False

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


def first_wins(query):
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
        return first_wins(query)
    if method != "POST" or environ.get("HTTP_TRANSFER_ENCODING"):
        return None
    length = environ.get("CONTENT_LENGTH") or "0"
    mimetype = environ.get("CONTENT_TYPE", "").partition(";")[0].strip().lower()
    if not length.isdigit() or int(length) > MAX_FORM_BYTES:
        return None
    if int(length) == 0 and mimetype in ("", "application/x-www-form-urlencoded"):
        return first_wins(query)
    if mimetype != "application/x-www-form-urlencoded":
        return None
    body = environ["wsgi.input"].read(int(length))
    environ["wsgi.input"] = BytesIO(body)  # the app can still read it when the fix goes there
    environ["CONTENT_LENGTH"] = str(len(body))
    if not body.isascii():
        return None
    return {**first_wins(query), **first_wins(body.decode("ascii"))}


def answer_headers(secure, request_id):
    """Headers of a stored fix's empty 200: the app's security headers and the request id."""
    return [
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Content-Length", "0"),
        *security_header_items(secure),
        ("Cache-Control", "no-store"),
        (logs.REQUEST_ID_HEADER, request_id),
    ]


def record_answer(request_id, method, started, remote):
    """The access line and request metrics of a stored fix's 200, as the app writes them for its own."""
    logs.write_access_line_outside_flask(request_id, method, PATH, PATH, 200, started, remote)
    monitoring.count_request(method, PATH, 200, started)


def _answer(environ, start_response, started):
    """200 with an empty body, the app's headers, access line and metrics."""
    request_id = logs.request_id_from(environ.get("HTTP_X_REQUEST_ID"))
    start_response("200 OK", answer_headers(environ.get("wsgi.url_scheme") == "https", request_id))
    record_answer(request_id, environ["REQUEST_METHOD"], started, environ.get("REMOTE_ADDR"))
    return [b""]
