"""Absolute URLs from configuration, never from the caller's Host header; unknown Host headers refused.

PUBLIC_URL (e.g. https://grid.example.gov.cn) is the base of every absolute link (OGC links, the tracker
address). Without it (local development) the request's own host is used, which ALLOWED_HOSTS limits.
"""

from flask import current_app, request, url_for

from patrol.errors import BadRequest

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


def _hostname(host):
    """The host part of a Host header: no port, IPv6 without brackets, lower case."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def host_allowed(host, allowed):
    """True when the Host header names one of the allowed hosts (".example.org" also covers subdomains)."""
    name = _hostname(host)
    if not name:
        return False
    for entry in (*allowed, *LOOPBACK_HOSTS):
        if entry.startswith(".") and (name == entry[1:] or name.endswith(entry)):
            return True
        if name == entry:
            return True
    return False


def check_host():
    """Before each request: 400 when the Host header (after trusted proxies) is not an allowed host."""
    if not host_allowed(request.host, current_app.config["ALLOWED_HOSTS"]):
        raise BadRequest("system.unknown_host_name", {"host": ["not one of ALLOWED_HOSTS"]})


def public_base():
    """The site's public base URL without a trailing slash."""
    return (current_app.config.get("PUBLIC_URL") or request.host_url).rstrip("/")


def public_url(endpoint, **values):
    """url_for as an absolute URL on the public base."""
    return public_base() + url_for(endpoint, **values)
