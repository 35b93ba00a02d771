"""Request hooks: proxy headers, request id and logs, metrics, body size for JSON, security headers."""

import re
from functools import lru_cache

from flask import g, request
from werkzeug.middleware.proxy_fix import ProxyFix

from patrol.errors import BadRequest, PayloadTooLarge
from patrol.system import logs, monitoring, public_urls


@lru_cache(maxsize=8)
def content_security_policy(tile_origins=()):
    """The CSP; the configured base map's tile servers may serve images (and be fetched to keep them offline)."""
    hosts = "".join(f" {origin}" for origin in tile_origins)
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",
            f"img-src 'self' data: blob:{hosts}",
            f"connect-src 'self'{hosts}",
            "font-src 'self'",
            "worker-src 'self'",
            "manifest-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def tile_origins(config):
    """Origins of the configured base map tiles ({s} subdomains widened to a wildcard)."""
    origins = []
    for key in ("BASEMAP_URL", "BASEMAP_LABELS_URL"):
        url = config.get(key) or ""
        if url.startswith(("http://", "https://")):
            scheme, rest = url.split("://", 1)
            host = rest.split("/", 1)[0]
            if "{s}" in host:
                host = "*." + host.split(".", 1)[1] if "." in host else host.replace("{s}", "*")
            origins.append(f"{scheme}://{host}")
    return tuple(dict.fromkeys(origins))


CSP = content_security_policy()
SECURITY_HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
    ("Permissions-Policy", "camera=(self), geolocation=(self), microphone=()"),
)
HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


def security_header_items(secure, csp=CSP):
    """The security headers every response carries (HSTS only over HTTPS)."""
    headers = SECURITY_HEADERS if csp == CSP else (("Content-Security-Policy", csp), *SECURITY_HEADERS[1:])
    return (*headers, HSTS) if secure else headers


_SURROGATE_HINT = re.compile(rb"\\u[dD][89a-fA-F]")
_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u([0-9a-fA-F]{4})")


def has_lone_surrogate(body):
    """True when a JSON text escapes half of a UTF-16 surrogate pair (no database can store it)."""
    if not _SURROGATE_HINT.search(body):
        return False
    pending_high_end = None
    for match in _ESCAPE.finditer(body):
        unit = int(match.group(1), 16)
        is_high, is_low = 0xD800 <= unit <= 0xDBFF, 0xDC00 <= unit <= 0xDFFF
        escape_start = match.end() - 6
        if pending_high_end is not None and not (is_low and escape_start == pending_high_end):
            return True
        if is_low and pending_high_end is None:
            return True
        pending_high_end = match.end() if is_high else None
    return pending_high_end is not None


def install(app):
    """Attach the hooks to the app."""
    if app.config["TRUSTED_PROXIES"]:
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    logs.configure(app)
    app.before_request(logs.start_request)
    app.before_request(public_urls.check_host)

    @app.before_request
    def forget_previous_caller():
        # g outlives a request when an app context is already active (tests, CLI); the caller must not.
        g.pop("current_user", None)
        g.pop("current_token", None)

    @app.before_request
    def limit_json_body():
        if request.mimetype == "application/json" or request.is_json:
            length = request.content_length
            if length is not None and length > app.config["MAX_JSON_BYTES"]:
                raise PayloadTooLarge(
                    "system.json_body_too_large", limit_kb=app.config["MAX_JSON_BYTES"] // 1024
                )
            body = request.get_data(cache=True)
            if len(body) > app.config["MAX_JSON_BYTES"]:
                raise PayloadTooLarge("system.json_body_too_large_3")
            if has_lone_surrogate(body):
                raise BadRequest(
                    "system.json_holds_invalid_unicode",
                    {"json": ["lone UTF-16 surrogate escape (\\ud800-\\udfff)"]},
                )

    @app.after_request
    def security_headers(response):
        headers = response.headers
        csp = content_security_policy(tile_origins(app.config))
        for name, value in security_header_items(request.is_secure, csp):
            headers.setdefault(name, value)
        if request.path.startswith("/api/") and "Cache-Control" not in headers:
            headers["Cache-Control"] = "no-store"
        return response

    # Registered last, so they run first: every response is counted and logged, errors included.
    app.after_request(logs.finish_request)
    app.after_request(monitoring.observe_request)
