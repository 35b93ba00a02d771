"""Prometheus metrics shared by every feature; safe under gunicorn (multiprocess mode).

Features increment the domain counters where the work is committed, for example::

    from patrol.metrics import INGESTED_POINTS, SYNC_OPERATIONS

    INGESTED_POINTS.labels(op="osmand", outcome="stored").inc(stored)
    INGESTED_POINTS.labels(op="osmand", outcome="duplicate").inc(duplicates)
    SYNC_OPERATIONS.labels(op="incident.create", outcome="applied").inc()

Counters only count events for dashboards and alerts; statistics shown to users are always computed
from the records in SQL.
"""

from prometheus_client import Counter, Gauge, Histogram

REQUESTS = Counter(
    "gridpatrol_http_requests_total",
    "HTTP requests by method, endpoint (the URL rule, not the raw path) and status",
    ["method", "endpoint", "status"],
)
REQUEST_SECONDS = Histogram(
    "gridpatrol_http_request_duration_seconds",
    "Request latency by method and endpoint",
    ["method", "endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
DB_POOL_CONNECTIONS = Gauge(
    "gridpatrol_db_pool_connections",
    "Connections in the SQLAlchemy pools of the live workers (state: checked_out, idle, overflow, size)",
    ["database", "state"],
    multiprocess_mode="livesum",
)
REPLICA_USABLE = Gauge(
    "gridpatrol_db_replica_usable",
    "1 when the read replica was reachable and within the lag bound at the last check",
    multiprocess_mode="liveall",
)
REPLICA_LAG_SECONDS = Gauge(
    "gridpatrol_db_replica_lag_seconds",
    "Replication lag of the read replica seen at the last check",
    multiprocess_mode="liveall",
)
# op: the ingest protocol (pwa, osmand, gpx, sync); outcome: stored, duplicate or rejected.
INGESTED_POINTS = Counter(
    "gridpatrol_ingested_points_total", "Track points received by the ingest paths", ["op", "outcome"]
)
# op: the sync operation name (e.g. incident.create); outcome: applied, duplicate or rejected.
SYNC_OPERATIONS = Counter(
    "gridpatrol_sync_operations_total", "Operations pushed from the phones' outboxes", ["op", "outcome"]
)
