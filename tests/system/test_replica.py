"""A real streaming replica of the local PostgreSQL 15: read-routed requests, writes, fallback.

Setup (idempotent, documented in docs/replica.md): the primary must accept a replication
connection from the postgres OS user over its Unix socket. Debian's default pg_hba.conf has
`local replication all peer`; when no such rule exists, one is put at the top of pg_hba.conf and
the configuration reloaded. wal_level=replica and max_wal_senders>0 are PostgreSQL's defaults;
changing them needs a restart, so the test refuses with a message instead of restarting a shared server.
"""

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import make_url

from patrol import create_app
from patrol.extensions import db
from tests.conftest import DEMO_PASSWORD

PG_BIN = "/usr/lib/postgresql/15/bin"
SOCKET_DIR = "/var/run/postgresql"
# The listing queries of GET /api/v1/areas and GET /api/v1/audit (lazy loads of the caller run elsewhere).
AREA_LIST = "ORDER BY area.code"
AUDIT_LIST = "ORDER BY audit_entry.id DESC"
HBA_RULE = "local replication postgres peer  # GridPatrol replica test: pg_basebackup as postgres"


def as_postgres(*command, check=True):
    return subprocess.run(  # noqa: S603
        ["/usr/sbin/runuser", "-u", "postgres", "--", *command],
        check=check,
        capture_output=True,
        text=True,
        timeout=120,
    )


def psql_admin(sql):
    return as_postgres("psql", "-h", SOCKET_DIR, "-qAtX", "-v", "ON_ERROR_STOP=1", "-c", sql).stdout.strip()


def allow_replication_connections():
    """Make sure the postgres OS user may open a replication connection over the socket."""
    assert psql_admin("SHOW wal_level") in ("replica", "logical"), "the primary needs wal_level=replica (restart)"
    assert int(psql_admin("SHOW max_wal_senders")) > 0, "the primary needs max_wal_senders > 0 (restart)"
    allowed = psql_admin(
        "SELECT count(*) FROM pg_hba_file_rules WHERE type = 'local' AND 'replication' = ANY(database)"
        " AND (user_name && ARRAY['all', 'postgres']) AND auth_method IN ('peer', 'trust') AND error IS NULL"
    )
    if allowed != "0":
        return
    hba_file = psql_admin("SHOW hba_file")
    with open(hba_file, encoding="utf-8") as handle:
        rules = handle.read()
    if HBA_RULE not in rules:
        with open(hba_file, "w", encoding="utf-8") as handle:
            handle.write(HBA_RULE + "\n" + rules)
    psql_admin("SELECT pg_reload_conf()")
    time.sleep(0.5)


def free_port(start=5440):
    for port in range(start, start + 200):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError("no free port for the standby")


class Standby:
    """A hot standby started from pg_basebackup in a temporary directory, on its own port."""

    def __init__(self):
        self.port = free_port()
        self.slot = f"gridpatrol_test_standby_{os.getpid()}"
        self.datadir = tempfile.mkdtemp(prefix="gridpatrol-standby-")
        postgres = pwd.getpwnam("postgres")
        os.chown(self.datadir, postgres.pw_uid, postgres.pw_gid)
        os.chmod(self.datadir, 0o700)

    def create(self):
        as_postgres(
            "pg_basebackup", "-h", SOCKET_DIR, "-U", "postgres", "-D", self.datadir,
            "-X", "stream", "-C", "-S", self.slot, "-R", "-c", "fast",
        )  # fmt: skip
        settings = {
            name: psql_admin(f"SHOW {name}")
            for name in (
                "max_connections",
                "max_worker_processes",
                "max_wal_senders",
                "max_prepared_transactions",
                "max_locks_per_transaction",
            )
        }
        conf = {
            "port": self.port,
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{self.datadir}'",
            "hot_standby": "on",
            "shared_buffers": "'32MB'",
            "logging_collector": "off",
            **settings,
        }
        self._write("postgresql.conf", "".join(f"{key} = {value}\n" for key, value in conf.items()))
        self._write("pg_hba.conf", "local all all trust\nhost all all 127.0.0.1/32 trust\n")
        self._write("pg_ident.conf", "")
        self.start()

    def _write(self, name, content):
        path = os.path.join(self.datadir, name)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(content)
        postgres = pwd.getpwnam("postgres")
        os.chown(path, postgres.pw_uid, postgres.pw_gid)

    def start(self):
        log = os.path.join(self.datadir, "standby.log")
        as_postgres(f"{PG_BIN}/pg_ctl", "-D", self.datadir, "-l", log, "-w", "-t", "60", "start")

    def stop(self):
        as_postgres(f"{PG_BIN}/pg_ctl", "-D", self.datadir, "-m", "fast", "-w", "stop", check=False)

    def sql(self, query):
        return as_postgres(
            "psql", "-h", self.datadir, "-p", str(self.port), "-qAtX", "-d", "postgres", "-c", query
        ).stdout.strip()

    def wait_for_replay(self, timeout=120):
        """Wait until everything the primary has written so far is replayed here (WAL is the whole cluster's:
        other databases busy on the same server slow it down, so the bound is generous)."""
        target = psql_admin("SELECT pg_current_wal_lsn()")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.sql(f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn") == "t":
                return
            time.sleep(0.1)
        raise AssertionError("the standby did not catch up")

    def destroy(self):
        self.stop()
        psql_admin(
            f"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '{self.slot}'"
        )
        shutil.rmtree(self.datadir, ignore_errors=True)


@pytest.fixture(scope="module")
def standby(app):
    allow_replication_connections()
    with app.app_context():
        db.engines[None].dispose()  # pooled connections of the session app are closed, not dropped
    server = Standby()
    try:
        server.create()
        yield server
    finally:
        server.destroy()
        with app.app_context():
            db.engines[None].dispose()


@pytest.fixture
def replica_app(app, standby):
    """replica_app(**config) -> an app reading from the standby; its pools are closed after the test."""
    made = []

    def make(**config):
        url = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).set(port=standby.port, host="127.0.0.1")
        routed = create_app(
            {
                "TESTING": True,
                "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                "DATABASE_REPLICA_URL": url.render_as_string(hide_password=False),
                "REPLICA_CHECK_SECONDS": 0,
                "PHOTO_DIR": app.config["PHOTO_DIR"],
                **config,
            }
        )
        made.append(routed)
        return routed

    yield make
    for routed in made:
        with routed.app_context():
            from patrol import replica

            db.engines[None].dispose()
            replica.configured_engine(routed).dispose()


def watch_servers(routed_app, marker):
    """Record pg_is_in_recovery() of the connection that runs each statement containing `marker`."""
    served = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if marker in statement:
            in_recovery = conn.connection.driver_connection.execute("SELECT pg_is_in_recovery()").fetchone()[0]
            served.append("replica" if in_recovery else "primary")

    with routed_app.app_context():
        from patrol import replica

        engines = [db.engines[None], replica.configured_engine(routed_app)]
    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    return served


def sign_in(client, username):
    response = client.post("/api/v1/auth/login", json={"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


def test_reads_go_to_the_replica_and_writes_to_the_primary(app, demo, standby, replica_app):
    routed = replica_app()
    client = routed.test_client()
    area_reads = watch_servers(routed, AREA_LIST)
    audit_reads = watch_servers(routed, AUDIT_LIST)
    admin = sign_in(client, "demo-admin")
    standby.wait_for_replay()

    response = client.get("/api/v1/areas?level=grid", headers=admin)
    assert response.status_code == 200, response.get_json()
    assert len(response.get_json()["features"]) == 12
    assert area_reads and set(area_reads) == {"replica"}

    worker, _ = demo["workers"][1]
    _, grid = demo["workers"][0]
    writes = watch_servers(routed, "INSERT INTO grid_assignment")
    response = client.post(
        f"/api/v1/areas/{grid.id}/assignments", json={"worker_id": worker.id, "start_date": "2024-01-01"}, headers=admin
    )
    assert response.status_code == 201, response.get_json()
    assert writes == ["primary"]
    with app.app_context():
        on_primary = db.session.execute(
            text("SELECT count(*) FROM audit_entry WHERE action = 'grid.assign' AND object_id = :code"),
            {"code": grid.code},
        ).scalar()
    assert on_primary == 1

    standby.wait_for_replay()
    audit_reads.clear()
    response = client.get("/api/v1/audit?action=grid.assign", headers=admin)
    assert response.status_code == 200, response.get_json()
    assert [entry["object_id"] for entry in response.get_json()] == [grid.code]
    assert set(audit_reads) == {"replica"}

    lagging = replica_app(REPLICA_MAX_LAG_SECONDS=-1)
    lag_reads = watch_servers(lagging, AREA_LIST)
    response = lagging.test_client().get("/api/v1/areas?level=grid", headers=admin)
    assert response.status_code == 200
    assert set(lag_reads) == {"primary"}, "a replica beyond the lag bound is skipped"


def test_with_the_replica_stopped_the_same_requests_are_answered_by_the_primary(app, demo, standby, replica_app):
    checking = replica_app()  # checks the replica before every request
    trusting = replica_app(REPLICA_CHECK_SECONDS=3600)  # keeps using it until a query fails
    checking_reads, trusting_reads = watch_servers(checking, AREA_LIST), watch_servers(trusting, AREA_LIST)
    admin = sign_in(checking.test_client(), "demo-street")
    standby.wait_for_replay()
    for routed, reads in ((checking, checking_reads), (trusting, trusting_reads)):
        assert routed.test_client().get("/api/v1/areas", headers=admin).status_code == 200
        assert set(reads) == {"replica"}
        reads.clear()

    standby.stop()  # for good: the module's last test
    for routed, reads in ((checking, checking_reads), (trusting, trusting_reads)):
        response = routed.test_client().get("/api/v1/areas", headers=admin)
        assert response.status_code == 200, response.get_json()
        assert len(response.get_json()["features"]) == 16
        assert set(reads) == {"primary"}
