"""gunicorn settings for GridPatrol; every value can be overridden with GUNICORN_* environment variables.

    gunicorn -c deploy/gunicorn.conf.py wsgi:app
    kill -HUP <master pid>      # graceful reload: new workers with the new code, old ones finish their requests

The listening socket stays with the master during a reload, so no request is refused.
"""

import glob
import multiprocessing
import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


def _int(name, default):
    raw = os.environ.get(name, "")
    return int(raw) if raw.strip() else default


cpus = multiprocessing.cpu_count()
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Requests mostly wait on PostgreSQL: a few processes per core, each with a few threads.
workers = _int("GUNICORN_WORKERS", min(cpus * 2 + 1, 17))
threads = _int("GUNICORN_THREADS", 4)
# gthread, but each request is read whole in the event loop before a thread takes it: slow bodies hold
# no thread (`make run` has no nginx in front). REQUEST_READ_SECONDS bounds the read (then 408).
worker_class = "patrol.system.gunicorn_worker.BufferingThreadWorker"
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = 5
# Recycling guards against slow leaks, but a new worker costs ~2.5 s of CPU (imports, app): every 5,000
# requests that was ~0.5 ms per OsmAnd fix, more than the fix itself. At 2,000 fixes/s over 4 workers this
# still recycles each worker every few minutes.
max_requests = _int("GUNICORN_MAX_REQUESTS", 200_000)
max_requests_jitter = max_requests // 10
preload_app = False  # a HUP must load the new code in the new workers
# Worker heartbeat files in RAM: a slow disk must not make the master think workers hang.
if os.path.isdir("/dev/shm"):  # noqa: S108
    worker_tmp_dir = "/dev/shm"  # noqa: S108
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
proc_name = "gridpatrol"
control_socket_disable = True  # not used; one shared ~/.gunicorn/gunicorn.ctl would clash between instances

# Prometheus multiprocess mode: every worker writes its figures to files in this directory, which
# must exist before the app (and prometheus_client) is imported by a worker.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="gridpatrol-metrics-")
os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

log_format = os.environ.get("LOG_FORMAT", "json")
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# The path without its query string: OsmAnd puts the device key and the coordinates there.
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms rid=%({x-request-id}o)s "%(a)s"'
# In JSON mode the app writes one structured access line per request (with the request id, endpoint,
# user and database used), so gunicorn's own access log is off unless asked for.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-" if log_format == "text" else "") or None

if log_format == "json":
    from patrol.system.logs import JsonFormatter

    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
        "root": {"level": loglevel.upper(), "handlers": []},
        "loggers": {
            "gunicorn.error": {"level": loglevel.upper(), "handlers": ["stderr"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": ["stderr"] if accesslog else [], "propagate": False},
        },
    }


def on_starting(server):
    """Forget the metric files of a previous run of the master."""
    for path in glob.glob(os.path.join(os.environ["PROMETHEUS_MULTIPROC_DIR"], "*.db")):
        os.unlink(path)


def child_exit(server, worker):
    """Drop the live gauges of a worker that exited."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
