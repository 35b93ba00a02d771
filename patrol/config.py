"""Settings read from environment variables and validated at start-up."""

import base64
import binascii
import ipaddress
import os
import tempfile
from datetime import timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message names it and says why."""


def _int(env, name, default, minimum=None):
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


def _float(env, name, default, minimum=None):
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


# Patrol quality and compliance thresholds (read by patrol.patrols through the app config).
PATROL_NUMBERS = {
    "PATROL_MAX_ACCURACY_M": 50.0,  # worse accuracy is flagged
    "PATROL_MAX_SPEED_MPS": 7.0,  # implied speed above this on foot is a jump
    "PATROL_FAR_OUTSIDE_M": 200.0,  # further than this from the grid is flagged
    "PATROL_GAP_S": 120.0,  # fixes further apart than this are a gap, never bridged
    "PATROL_MOVING_MPS": 0.5,  # a step slower than this is standing still
    "PATROL_COVERAGE_CELL_M": 50.0,  # coverage counts the grid's cells of this size that a clean fix fell in
    "PATROL_TRACKER_SILENCE_MIN": 15.0,  # a tracker patrol finishes itself after this silence
    "PATROL_MAX_FIX_BEFORE_START_H": 12.0,  # fixes earlier than this before the start are refused
    "PATROL_MAX_POINTS": 5000,  # points per request
    "PATROL_FIX_MAX_AGE_D": 60.0,  # fixes older than this many days are refused on every way in
    "PATROL_FIX_MAX_AHEAD_MIN": 10.0,  # fixes later than now plus this are refused (phone clocks drift)
}
# Key place thresholds (read by patrol.tasks through the app config).
TASK_NUMBERS = {
    "KEY_PLACE_CHECK_DISTANCE_M": 30.0,  # a clean patrol fix this close checks a key place
    "KEY_PLACE_MAX_AREA_M2": 200_000.0,  # a key place polygon is small (a school, a market)
    "KEY_PLACE_GRID_TOLERANCE_M": 20.0,  # how far a key place may stick out of its grid
}


def _numbers(env, defaults):
    """Positive numbers, each of its default's type."""
    return {
        name: _int(env, name, default, minimum=1) if isinstance(default, int) else _float(env, name, default, 0.001)
        for name, default in defaults.items()
    }


def _pii_key(name, encoded):
    encoded = encoded.strip()
    try:
        raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise ConfigError(f"{name} must be 32 random bytes in urlsafe base64 (make run writes one to .env)")
    return encoded


def _pii_keys(env, testing):
    """PII_KEY (required unless testing) and PII_OLD_KEYS, each checked to be a 32-byte key."""
    current = env.get("PII_KEY", "")
    if current or not testing:
        current = _pii_key("PII_KEY", current)
    old = [_pii_key("PII_OLD_KEYS", part) for part in env.get("PII_OLD_KEYS", "").split(",") if part.strip()]
    return current, old


def _bool(env, name, default):
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def _tile_url(env, name):
    value = env.get(name, "").strip()
    if value and not (value.startswith(("https://", "http://", "/")) and "{z}" in value and "{x}" in value):
        raise ConfigError(f"{name} must be an http(s) or site path tile template with {{z}}, {{x}} and {{y}}")
    return value


def _choice(env, name, default, allowed):
    value = env.get(name) or default
    if value not in allowed:
        raise ConfigError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
    return value


def _networks(env, name, default):
    raw = env.get(name)
    raw = default if raw is None else raw
    networks = []
    for part in raw.replace(" ", ",").split(","):
        if not part:
            continue
        try:
            networks.append(str(ipaddress.ip_network(part, strict=False)))
        except ValueError:
            raise ConfigError(f"{name} must be a comma-separated list of CIDR networks, got {part!r}") from None
    return networks


def _log_format(env):
    value = env.get("LOG_FORMAT") or "json"
    if value not in ("json", "text"):
        raise ConfigError(f"LOG_FORMAT must be json or text, got {value!r}")
    return value


def _required_secret(env, name, testing):
    value = env.get(name, "")
    if testing and not value:
        return "test-only-" + name.lower()
    if len(value) < 32:
        raise ConfigError(
            f"{name} must be set to a random string of at least 32 characters "
            "(make run writes one to .env; in production set it in the environment file)"
        )
    return value


def _default_anchor_dir(testing):
    """var/audit in the checkout; a test run's apps anchor in a temporary directory of their own."""
    if testing:
        return os.path.join(tempfile.gettempdir(), f"gridpatrol-audit-test-{os.getpid()}")
    return os.path.join(os.getcwd(), "var", "audit")


def _public_url(env):
    value = (env.get("PUBLIC_URL") or "").strip().rstrip("/")
    parts = urlsplit(value)
    if value and (parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment):
        raise ConfigError(f"PUBLIC_URL must be an http(s) address such as https://grid.example.gov.cn, got {value!r}")
    return value


def _allowed_hosts(env):
    """Host names the app answers for: ALLOWED_HOSTS, else PUBLIC_URL's host (loopback is always allowed)."""
    raw = env.get("ALLOWED_HOSTS")
    if raw is None or not raw.strip():
        host = urlsplit(_public_url(env)).hostname
        return [host] if host else []
    return [part.strip().lower() for part in raw.replace(" ", ",").split(",") if part.strip()]


def _connect_args(env):
    args = {"connect_timeout": 5}
    if _bool(env, "DB_PGBOUNCER", False):
        args["prepare_threshold"] = None
    return args


def load_config(env=None, overrides=None):
    """Build the Flask config dict from the environment; raise ConfigError with a clear message."""
    env = dict(os.environ if env is None else env)
    overrides = overrides or {}
    testing = bool(overrides.get("TESTING")) or _bool(env, "GRIDPATROL_TESTING", False)

    database_url = overrides.get("SQLALCHEMY_DATABASE_URI") or env.get(
        "DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/gridpatrol"
    )
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://") :]
    if not database_url.startswith("postgresql+psycopg://"):
        raise ConfigError("DATABASE_URL must be a postgresql:// URL")

    tz_name = env.get("TIMEZONE", "Asia/Shanghai")
    try:
        ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"TIMEZONE {tz_name!r} is not a known IANA time zone") from None

    language = env.get("DEFAULT_LANGUAGE", "zh-CN")
    if language not in ("zh-CN", "en"):
        raise ConfigError("DEFAULT_LANGUAGE must be zh-CN or en")

    secret_key = _required_secret(env, "SECRET_KEY", testing)
    pii_key, pii_old_keys = _pii_keys(env, testing)
    config = {
        "TESTING": testing,
        "SECRET_KEY": secret_key,
        "PII_KEY": pii_key,
        "PII_OLD_KEYS": pii_old_keys,
        # HMAC key of the audit chain; kept out of the database so its own role cannot re-chain edits.
        "AUDIT_KEY": _required_secret(env, "AUDIT_KEY", testing),
        # The newest audit hash is also written here, outside the database (detects dropped entries).
        "AUDIT_ANCHOR_DIR": env.get("AUDIT_ANCHOR_DIR") or _default_anchor_dir(testing),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "DATABASE_REPLICA_URL": env.get("DATABASE_REPLICA_URL", ""),
        "SQLALCHEMY_ENGINE_OPTIONS": {
            "pool_pre_ping": True,
            "pool_size": _int(env, "DB_POOL_SIZE", 5, minimum=1),
            "max_overflow": _int(env, "DB_MAX_OVERFLOW", 5, minimum=0),
            "pool_recycle": 1800,
            # Never put bound parameters (password hashes, ID numbers) into exception text or logs.
            "hide_parameters": True,
            "connect_args": _connect_args(env),
        },
        # PgBouncer in transaction pooling mode cannot keep server-side prepared statements.
        "DB_PGBOUNCER": _bool(env, "DB_PGBOUNCER", False),
        # One-statement path for the common OsmAnd fix (patrol/patrols/fast_fixes.py); off = always the full path.
        "OSMAND_LEAN_PATH": _bool(env, "OSMAND_LEAN_PATH", True),
        "REPLICA_MAX_LAG_SECONDS": _float(env, "REPLICA_MAX_LAG_SECONDS", 30.0),
        "REPLICA_CHECK_SECONDS": _float(env, "REPLICA_CHECK_SECONDS", 5.0),
        "LOG_FORMAT": _log_format(env),
        "LOG_LEVEL": (env.get("LOG_LEVEL") or "INFO").upper(),
        "METRICS_ALLOW": _networks(env, "METRICS_ALLOW", "127.0.0.0/8,::1/128"),
        "METRICS_TOKEN": env.get("METRICS_TOKEN", ""),
        "TIMEZONE": tz_name,
        "DEFAULT_LANGUAGE": language,
        "TOKEN_TTL": timedelta(hours=_int(env, "TOKEN_TTL_HOURS", 24 * 14, minimum=1)),
        "LOGIN_MAX_FAILURES": _int(env, "LOGIN_MAX_FAILURES", 5, minimum=1),
        "LOGIN_WINDOW": timedelta(minutes=_int(env, "LOGIN_WINDOW_MINUTES", 15, minimum=1)),
        # Dry-run ledger imports per user and hour (each is audited; more answer 429).
        "PEOPLE_DRY_RUNS_PER_HOUR": _int(env, "PEOPLE_DRY_RUNS_PER_HOUR", 20, minimum=1),
        "MAX_CONTENT_LENGTH": _int(env, "MAX_UPLOAD_MB", 12, minimum=1) * 1024 * 1024,
        # Uploaded XLSX workbooks (patrol/people/xlsx_guard.py): archive, sheet and time bounds.
        "XLSX_MAX_ENTRIES": _int(env, "XLSX_MAX_ENTRIES", 100, minimum=5),
        "XLSX_MAX_UNCOMPRESSED_MB": _int(env, "XLSX_MAX_UNCOMPRESSED_MB", 32, minimum=1),
        "XLSX_MAX_PART_MB": _int(env, "XLSX_MAX_PART_MB", 8, minimum=1),
        "XLSX_MAX_RATIO": _int(env, "XLSX_MAX_RATIO", 100, minimum=10),
        "XLSX_MAX_ROWS": _int(env, "XLSX_MAX_ROWS", 10000, minimum=10),
        "XLSX_MAX_COLUMNS": _int(env, "XLSX_MAX_COLUMNS", 64, minimum=10),
        "XLSX_TIME_BUDGET_SECONDS": _float(env, "XLSX_TIME_BUDGET_SECONDS", 3.0),
        # Seconds a client gets to send a whole request (headers and body) to gunicorn's buffering worker.
        "REQUEST_READ_SECONDS": _float(env, "REQUEST_READ_SECONDS", 60.0),
        "MAX_JSON_BYTES": _int(env, "MAX_JSON_KB", 4096, minimum=16) * 1024,
        "TRUSTED_PROXIES": _int(env, "TRUSTED_PROXIES", 0, minimum=0),
        "AREA_TOLERANCE_M2": _float(env, "AREA_TOLERANCE_M2", 50.0),
        "MAX_POLYGON_VERTICES": _int(env, "MAX_POLYGON_VERTICES", 20000, minimum=100),
        # Photo uploads: refused by the header's pixel count before decoding (JPEGs decode at reduced scale).
        "PHOTO_MAX_MEGAPIXELS": _float(env, "PHOTO_MAX_MEGAPIXELS", 50.0),
        "PHOTO_MAX_FULL_DECODE_MEGAPIXELS": _float(env, "PHOTO_MAX_FULL_DECODE_MEGAPIXELS", 16.0),
        "PHOTO_DIR": env.get("PHOTO_DIR", os.path.join(os.getcwd(), "var", "photos")),
        "PUBLIC_URL": _public_url(env),
        "ALLOWED_HOSTS": _allowed_hosts(env),
        # Base map of the worker app: tile URL template ({z}/{x}/{y}, {s} for a subdomain), an optional
        # labels layer drawn over it (Tianditu's cva_w, say), attribution, and its CRS.
        "BASEMAP_URL": _tile_url(env, "BASEMAP_URL"),
        "BASEMAP_LABELS_URL": _tile_url(env, "BASEMAP_LABELS_URL"),
        "BASEMAP_SUBDOMAINS": env.get("BASEMAP_SUBDOMAINS", ""),
        "BASEMAP_ATTRIBUTION": env.get("BASEMAP_ATTRIBUTION", ""),
        "BASEMAP_CRS": _choice(env, "BASEMAP_CRS", "wgs84", ("wgs84", "gcj02")),
        "BASEMAP_MAX_ZOOM": _int(env, "BASEMAP_MAX_ZOOM", 18, minimum=1),
        "PASSWORD_HASH_FAST": testing,
        **_numbers(env, PATROL_NUMBERS),
        **_numbers(env, TASK_NUMBERS),
        # Set by the gunicorn config when several workers share the metrics (prometheus_client reads it too).
        "PROMETHEUS_MULTIPROC_DIR": env.get("PROMETHEUS_MULTIPROC_DIR", ""),
        "DEMO_PASSWORD": env.get("DEMO_PASSWORD") or "gridpatrol-demo",  # the demo logins of `flask seed-demo`
        # Open311 callbacks (patrol/open311/outbox.py): attempts before `failed`, backoff doubling from
        # OPEN311_BACKOFF_SECONDS up to OPEN311_BACKOFF_MAX_SECONDS, request timeout, idle loop interval.
        "OPEN311_MAX_ATTEMPTS": _int(env, "OPEN311_MAX_ATTEMPTS", 30, minimum=1),
        "OPEN311_BACKOFF_SECONDS": _int(env, "OPEN311_BACKOFF_SECONDS", 30, minimum=1),
        "OPEN311_BACKOFF_MAX_SECONDS": _int(env, "OPEN311_BACKOFF_MAX_SECONDS", 3600, minimum=1),
        "OPEN311_TIMEOUT_SECONDS": _int(env, "OPEN311_TIMEOUT_SECONDS", 10, minimum=1),
        "OPEN311_LOOP_SECONDS": _int(env, "OPEN311_LOOP_SECONDS", 5, minimum=1),
        # flask-smorest / OpenAPI
        "API_TITLE": "GridPatrol 网格巡查 API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        "OPENAPI_SWAGGER_UI_URL": "/static/vendor/swagger-ui/",
        "JSON_SORT_KEYS": False,
    }
    config.update(overrides)
    return config
