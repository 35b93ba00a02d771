"""Request hooks: proxy headers, request id and logs, metrics, body size for JSON, security headers."""

from functools import lru_cache

from flask import g, request
from werkzeug.middleware.proxy_fix import ProxyFix

from patrol.errors import PayloadTooLarge
from patrol.system import logs, monitoring


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
                raise PayloadTooLarge(
                    f"JSON 请求体超过 {app.config['MAX_JSON_BYTES'] // 1024} KB / JSON body too large"
                )
            if len(request.get_data(cache=True)) > app.config["MAX_JSON_BYTES"]:
                raise PayloadTooLarge("JSON 请求体过大 / JSON body too large")

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
