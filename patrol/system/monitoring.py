"""Request metrics, DB pool figures and the protected Prometheus exposition at /metrics."""

import hmac
import ipaddress
import time

from flask import Response, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess
from sqlalchemy.pool import QueuePool

from patrol.errors import Forbidden
from patrol.extensions import db
from patrol.metrics import DB_POOL_CONNECTIONS, REQUEST_SECONDS, REQUESTS

# Label values must stay a small fixed set: a caller inventing methods must not grow the metrics.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def observe_request(response):
    """Count the request and its latency under its URL rule (unmatched paths share one label)."""
    endpoint = request.url_rule.rule if request.url_rule else "<unmatched>"
    count_request(request.method, endpoint, response.status_code, g.get("request_started"))
    return response


def count_request(method, endpoint, status, started):
    """Count one request and its latency (also for requests answered outside Flask)."""
    method = method if method in KNOWN_METHODS else "other"
    REQUESTS.labels(method, endpoint, str(status)).inc()
    if started is not None:
        REQUEST_SECONDS.labels(method, endpoint).observe(time.perf_counter() - started)


def observe_pools(app):
    """Publish this worker's pool figures for the primary and, when configured, the replica."""
    from patrol import replica

    engines = {"primary": db.engines[None]}
    replica_engine = replica.configured_engine(app)
    if replica_engine is not None:
        engines["replica"] = replica_engine
    for name, engine in engines.items():
        pool = engine.pool
        if not isinstance(pool, QueuePool):
            continue
        DB_POOL_CONNECTIONS.labels(name, "checked_out").set(pool.checkedout())
        DB_POOL_CONNECTIONS.labels(name, "idle").set(pool.checkedin())
        DB_POOL_CONNECTIONS.labels(name, "overflow").set(max(pool.overflow(), 0))
        DB_POOL_CONNECTIONS.labels(name, "size").set(pool.size())


def has_metrics_token():
    """True when the request carries the configured METRICS_TOKEN as its bearer."""
    token = current_app.config.get("METRICS_TOKEN", "")
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    if not token or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(presented.strip().encode(), token.encode())


def require_metrics_access():
    """Only callers from METRICS_ALLOW networks or with the METRICS_TOKEN bearer may scrape."""
    if has_metrics_token():
        return
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        address = None
    if address is not None:
        if address.version == 6 and address.ipv4_mapped:
            address = address.ipv4_mapped
        for network in current_app.config.get("METRICS_ALLOW", []):
            if address in ipaddress.ip_network(network):
                return
    raise Forbidden("system.metrics_forbidden")


def exposition():
    """The Prometheus text exposition; aggregated over all gunicorn workers in multiprocess mode."""
    require_metrics_access()
    observe_pools(current_app)
    if current_app.config["PROMETHEUS_MULTIPROC_DIR"]:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    response = Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response
