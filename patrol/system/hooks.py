"""Request hooks: proxy headers, request id and logs, metrics, body size for JSON, security headers."""

from flask import g, request
from werkzeug.middleware.proxy_fix import ProxyFix

from patrol.errors import PayloadTooLarge
from patrol.system import logs, monitoring

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "font-src 'self'",
        "worker-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
    ("Permissions-Policy", "camera=(self), geolocation=(self), microphone=()"),
)
HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


def security_header_items(secure):
    """The security headers every response carries (HSTS only over HTTPS)."""
    return (*SECURITY_HEADERS, HSTS) if secure else SECURITY_HEADERS


def install(app):
    """Attach the hooks to the app."""
    if app.config["TRUSTED_PROXIES"]:
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    logs.configure(app)
    app.before_request(logs.start_request)

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
                raise PayloadTooLarge("system.json_body_too_large", limit_kb=app.config["MAX_JSON_BYTES"] // 1024)
            if len(request.get_data(cache=True)) > app.config["MAX_JSON_BYTES"]:
                raise PayloadTooLarge("system.json_body_too_large_unknown")

    @app.after_request
    def security_headers(response):
        headers = response.headers
        for name, value in security_header_items(request.is_secure):
            headers.setdefault(name, value)
        if request.path.startswith("/api/") and "Cache-Control" not in headers:
            headers["Cache-Control"] = "no-store"
        return response

    # Registered last, so they run first: every response is counted and logged, errors included.
    app.after_request(logs.finish_request)
    app.after_request(monitoring.observe_request)
