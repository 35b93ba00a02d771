"""gunicorn from deploy/gunicorn.conf.py on a fresh database: readiness before and after migrations,
JSON log lines with the request id, Prometheus metrics over several workers, graceful reload, backup
and restore into a new database."""

import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv/bin"


def run(*command, env=None, timeout=120):
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=True)  # noqa: S603


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url, headers=None):
    """(status, headers, body) of a GET, errors included."""
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


@pytest.fixture(scope="module")
def fresh_database():
    """A new, empty PostGIS database next to the test database, dropped afterwards."""
    url = make_url(os.environ["TEST_DATABASE_URL"])
    name = f"{url.database}_fresh"
    run(str(ROOT / "deploy/provision-postgis.sh"), "--recreate", name)
    yield url.set(database=name).render_as_string(hide_password=False)
    drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    subprocess.run(["/usr/sbin/runuser", "-u", "postgres", "--", "psql", "-qc", drop], check=False, timeout=60)  # noqa: S603


@pytest.fixture(scope="module")
def server(fresh_database, tmp_path_factory):
    """gunicorn with 2 workers on a free port, JSON logs to a file."""
    tmp = tmp_path_factory.mktemp("gunicorn")
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": fresh_database,
        "SECRET_KEY": "s" * 40,
        "AUDIT_KEY": "k" * 40,
        "LOG_FORMAT": "json",
        "GUNICORN_WORKERS": "2",
        "GUNICORN_THREADS": "2",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp / "metrics"),
        "PHOTO_DIR": str(tmp / "photos"),
        "AUDIT_ANCHOR_DIR": str(tmp / "audit"),
        "FLASK_APP": "wsgi",
    }
    log_path = tmp / "gunicorn.log"
    log = open(log_path, "w")  # noqa: SIM115
    process = subprocess.Popen(  # noqa: S603
        [str(VENV_BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):  # up to a minute on a loaded machine
            try:
                if get(base + "/api/v1/health")[0] == 200:
                    break
            except (urllib.error.URLError, ConnectionError):
                pass
            assert process.poll() is None, log_path.read_text()
            time.sleep(0.2)
        yield {"base": base, "env": env, "log": log_path, "process": process}
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=40)
        log.close()


def log_lines(path):
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    return [json.loads(line) for line in lines]  # every line must be JSON


def test_ready_only_after_migrations_on_a_fresh_database(server):
    status, _, body = get(server["base"] + "/api/v1/ready")
    assert status == 503
    assert set(json.loads(body)) == {"code", "status", "message", "errors"}

    run(str(VENV_BIN / "flask"), "db", "upgrade", "heads", env=server["env"], timeout=180)
    status, _, body = get(server["base"] + "/api/v1/ready")
    assert status == 200, body
    assert json.loads(body)["status"] == "ready"


def test_json_log_lines_carry_the_request_id(server):
    status, headers, _ = get(server["base"] + "/api/v1/health", {"X-Request-ID": "deploy-test-1"})
    assert status == 200 and headers["X-Request-ID"] == "deploy-test-1"
    status, headers, _ = get(server["base"] + "/api/v1/areas")
    generated = headers["X-Request-ID"]
    assert status == 401 and len(generated) == 32
    time.sleep(0.3)
    lines = log_lines(server["log"])
    mine = [line for line in lines if line.get("request_id") == "deploy-test-1"]
    assert mine and mine[0]["endpoint"] == "/api/v1/health" and mine[0]["status"] == 200
    assert any(line.get("request_id") == generated and line.get("status") == 401 for line in lines)
    assert any(line["logger"] == "gunicorn.error" for line in lines), "gunicorn's own lines are JSON too"


def test_metrics_aggregate_the_workers_by_endpoint(server):
    for _ in range(6):
        get(server["base"] + "/api/v1/health")
    status, headers, body = get(server["base"] + "/metrics")
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    counts = [
        float(line.rsplit(" ", 1)[1])
        for line in body.splitlines()
        if line.startswith("gridpatrol_http_requests_total{")
        and 'endpoint="/api/v1/health"' in line
        and 'status="200"' in line
    ]
    assert counts and sum(counts) >= 6
    assert "gridpatrol_http_request_duration_seconds_bucket" in body
    assert 'gridpatrol_db_pool_connections{database="primary",state="size"}' in body
    assert len(list(Path(server["env"]["PROMETHEUS_MULTIPROC_DIR"]).glob("*.db"))) >= 1


def test_graceful_reload_drops_no_request(server):
    failures, done = [], threading.Event()

    def hammer():
        while not done.is_set():
            try:
                if get(server["base"] + "/api/v1/health")[0] != 200:
                    failures.append("status")
            except (urllib.error.URLError, ConnectionError) as error:
                failures.append(repr(error))

    worker = threading.Thread(target=hammer)
    worker.start()
    try:
        time.sleep(0.3)
        server["process"].send_signal(signal.SIGHUP)
        time.sleep(4)
    finally:
        done.set()
        worker.join()
    assert server["process"].poll() is None
    assert not failures, failures[:3]
    assert any("Hang up" in line.get("message", "") for line in log_lines(server["log"]))


def test_backup_then_restore_into_a_new_database(server, fresh_database, tmp_path):
    env = {**server["env"], "BACKUP_DIR": str(tmp_path / "backups"), "BACKUP_KEEP_DAYS": "14"}
    stale = tmp_path / "backups/gridpatrol-20000101T000000Z.dump"
    stale.parent.mkdir()
    stale.write_bytes(b"old")
    os.utime(stale, (946684800, 946684800))
    dump = run(str(ROOT / "deploy/backup.sh"), env=env).stdout.strip()
    assert Path(dump).is_file() and not stale.exists(), "old dumps are removed, the new one kept"

    target = make_url(fresh_database).database + "_restored"
    try:
        result = run(str(ROOT / "deploy/restore.sh"), dump, target, env=env)
        assert f"into {target}" in result.stdout
        query = "SELECT version_num FROM alembic_version ORDER BY 1"
        restored = run("/usr/sbin/runuser", "-u", "postgres", "--", "psql", "-qAt", "-d", target, "-c", query).stdout
        original = run("psql", "-qAt", fresh_database, "-c", query).stdout
        assert restored == original and restored.strip()
        refused = subprocess.run([str(ROOT / "deploy/restore.sh"), dump, target], capture_output=True, text=True)  # noqa: S603
        assert refused.returncode != 0 and "already exists" in refused.stderr
    finally:
        drop = f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)'
        subprocess.run(["/usr/sbin/runuser", "-u", "postgres", "--", "psql", "-qc", drop], check=False)  # noqa: S603
