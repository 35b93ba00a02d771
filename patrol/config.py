"""Settings read from environment variables and validated at start-up."""

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


def _float(env, name, default):
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None


def _bool(env, name, default):
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


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

    config = {
        "TESTING": testing,
        "SECRET_KEY": _required_secret(env, "SECRET_KEY", testing),
        "PII_KEY": env.get("PII_KEY", ""),
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
        "MAX_CONTENT_LENGTH": _int(env, "MAX_UPLOAD_MB", 12, minimum=1) * 1024 * 1024,
        # Seconds a client gets to send a whole request (headers and body) to gunicorn's buffering worker.
        "REQUEST_READ_SECONDS": _float(env, "REQUEST_READ_SECONDS", 60.0),
        "MAX_JSON_BYTES": _int(env, "MAX_JSON_KB", 4096, minimum=16) * 1024,
        "TRUSTED_PROXIES": _int(env, "TRUSTED_PROXIES", 0, minimum=0),
        "AREA_TOLERANCE_M2": _float(env, "AREA_TOLERANCE_M2", 50.0),
        "MAX_POLYGON_VERTICES": _int(env, "MAX_POLYGON_VERTICES", 20000, minimum=100),
        "PHOTO_DIR": env.get("PHOTO_DIR", os.path.join(os.getcwd(), "var", "photos")),
        "PUBLIC_URL": _public_url(env),
        "ALLOWED_HOSTS": _allowed_hosts(env),
        # Base map of the worker app: tile URL template ({z}/{x}/{y}), attribution, and its CRS.
        "BASEMAP_URL": env.get("BASEMAP_URL", ""),
        "BASEMAP_ATTRIBUTION": env.get("BASEMAP_ATTRIBUTION", ""),
        "BASEMAP_CRS": _choice(env, "BASEMAP_CRS", "wgs84", ("wgs84", "gcj02")),
        "BASEMAP_MAX_ZOOM": _int(env, "BASEMAP_MAX_ZOOM", 18, minimum=1),
        "PASSWORD_HASH_FAST": testing,
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
