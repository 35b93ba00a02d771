"""Faults: a PostgreSQL of our own crashes and comes back mid-load; a gunicorn worker is SIGKILLed mid-request.

    python -m bench faults        # BENCH_FAULT_WORKERS=60 BENCH_FAULT_SECONDS=90 by default

The bench starts its own PostgreSQL 15 (initdb into a temp dir, `pg_ctl` on a free loopback port,
as the `postgres` OS user through `runuser`; PostGIS from the Debian package). It never touches
the machine's shared PostgreSQL on 5432. While the database is down the API must answer 503 with
Retry-After in the error shape (no 500, no traceback); the clients retry; afterwards the database
must hold exactly what the clients were told was stored. Then one gunicorn worker is killed with
SIGKILL while requests are in flight; nothing acknowledged may be lost.
"""

import glob
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time

import psutil
import requests

from bench import loadsim

WORKERS = int(os.environ.get("BENCH_FAULT_WORKERS", "60"))
SECONDS = float(os.environ.get("BENCH_FAULT_SECONDS", "90"))
DOWN_S = 8.0
DB = "gridpatrol_faults"
ROLE, ROLE_PASSWORD = "gridpatrol", "faults-bench-password"


def _bin(name):
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError(f"no PostgreSQL {name} under /usr/lib/postgresql")
    return found[-1]


class OwnPostgres:
    """A throwaway PostgreSQL cluster on a free loopback port, run by the postgres OS user."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="gridpatrol-faults-pg-")
        shutil.chown(self.dir, "postgres", "postgres")
        self.data = os.path.join(self.dir, "data")
        self.port = loadsim.free_port()
        self.log = os.path.join(self.dir, "postgres.log")

    def _as_postgres(self, *cmd, check=True):
        done = subprocess.run(["runuser", "-u", "postgres", "--", *cmd], capture_output=True, text=True)
        if check and done.returncode != 0:
            raise RuntimeError(f"{cmd[0]} failed: {done.stdout[-1000:]} {done.stderr[-1000:]}")
        return done

    def init(self):
        self._as_postgres(
            _bin("initdb"), "-D", self.data, "-U", "postgres", "--auth-local=peer", "--auth-host=scram-sha-256"
        )

    def start(self):
        opts = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir} -c max_connections=200"
        self._as_postgres(_bin("pg_ctl"), "-D", self.data, "-l", self.log, "-o", opts, "-w", "-t", "60", "start")

    def stop(self, mode="fast"):
        self._as_postgres(_bin("pg_ctl"), "-D", self.data, "-m", mode, "-w", "-t", "60", "stop", check=False)

    def psql(self, sql, db="postgres"):
        self._as_postgres(
            _bin("psql"), "-h", self.dir, "-p", str(self.port), "-d", db, "-v", "ON_ERROR_STOP=1", "-qc", sql
        )

    def provision(self):
        self.psql(f"CREATE ROLE {ROLE} LOGIN PASSWORD '{ROLE_PASSWORD}'")
        self.psql(f"CREATE DATABASE {DB} OWNER {ROLE}")
        self.psql("CREATE EXTENSION postgis", db=DB)
        return loadsim.database_url(DB, port=self.port, user=ROLE, password=ROLE_PASSWORD)

    def remove(self):
        """Stop it and delete its directory, keeping its log next to the gunicorn one."""
        self.stop("immediate")
        kept = os.path.join(tempfile.gettempdir(), f"gridpatrol-faults-postgres-{os.getpid()}.log")
        if os.path.exists(self.log):
            shutil.copy(self.log, kept)
        shutil.rmtree(self.dir, ignore_errors=True)
        return kept


def probe_outage(base, token, until, seen):
    """While the database is down: every answer must be 503 + Retry-After in the error shape."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    while time.time() < until:
        for method, path, body in (
            ("GET", "/api/v1/ready", None),
            ("GET", "/api/v1/sync/pull", None),
            ("GET", "/api/v1/auth/me", None),
        ):
            try:
                response = session.request(method, base + path, json=body, timeout=10)
            except requests.RequestException as exc:
                seen.append(("transport", path, repr(exc)[:100]))
                continue
            try:
                shaped = set(response.json()) == {"code", "status", "message", "errors"}
            except ValueError:
                shaped = False
            seen.append((response.status_code, path, shaped, response.headers.get("Retry-After"), response.text[:120]))
        time.sleep(0.5)


def kill_busy_worker(server):
    """SIGKILL the gunicorn worker with the most open client connections; -> its pid."""
    best, most = None, -1
    for child in server.workers():
        try:
            n = sum(1 for c in child.net_connections("tcp") if c.status == psutil.CONN_ESTABLISHED)
        except psutil.Error:
            continue
        if n > most:
            best, most = child, n
    if best is not None:
        os.kill(best.pid, signal.SIGKILL)
        return best.pid, most
    return None, 0


def _token(base):
    response = requests.post(
        base + "/api/v1/auth/login", json={"username": "bench-w001", "password": loadsim.PASSWORD}, timeout=30
    )
    return response.json()["access_token"]


def main():
    pg = OwnPostgres()
    problems = []
    server = None
    try:
        pg.init()
        pg.start()
        url = pg.provision()
        print(f"  own PostgreSQL on 127.0.0.1:{pg.port} ({pg.data}); migrating and seeding …", flush=True)
        loadsim.migrate_and_seed(url, WORKERS)
        log = os.path.join(tempfile.gettempdir(), f"gridpatrol-faults-{os.getpid()}.log")
        server = loadsim.Gunicorn(url, log)
        server.wait_ready()
        people = loadsim.register_people(server.base, WORKERS)
        token = _token(server.base)
        stats = loadsim.Stats()
        stop_at = time.time() + SECONDS
        clients = [loadsim.SimulatedWorker(server.base, n, people[n], stats, stop_at) for n in range(WORKERS)]
        for client in clients:
            client.start()
            time.sleep(5.0 / WORKERS)
        print(f"  {WORKERS} clients for {SECONDS:.0f} s against {server.base}", flush=True)
        time.sleep(SECONDS * 0.25)
        outage = []
        print(
            f"  t={SECONDS * 0.25:.0f}s: PostgreSQL crashes (pg_ctl stop -m immediate), down {DOWN_S:.0f} s", flush=True
        )
        pg.stop("immediate")
        down_at = time.time()
        probe = threading.Thread(target=probe_outage, args=(server.base, token, down_at + DOWN_S - 1, outage))
        probe.start()
        time.sleep(DOWN_S)
        probe.join()
        pg.start()
        print(f"  back after {time.time() - down_at:.1f} s (crash recovery included)", flush=True)
        time.sleep(max(0.0, stop_at - time.time()) * 0.5)
        pid, connections = kill_busy_worker(server)
        print(f"  SIGKILL gunicorn worker {pid} ({connections} open client connections)", flush=True)
        for client in clients:
            client.join(timeout=max(1.0, stop_at + 180 - time.time()))
        problems += [c.failed for c in clients if c.failed]
        problems += [f"worker {c.n} still running" for c in clients if c.is_alive()]
        loadsim.report(stats, SECONDS)
        answered = [o for o in outage if o[0] != "transport"]
        good = [o for o in answered if o[0] == 503 and o[2] and o[3]]
        print(f"  outage probes: {len(answered)} answers, {len(good)} were 503 + Retry-After in the error shape")
        bad = [o for o in answered if o not in good]
        if not answered or bad:
            problems.append(f"outage answers not 503/Retry-After/error shape: {bad[:3]}")
        if stats.bad_503:
            problems.append(f"503 without Retry-After or not in the error shape: {stats.bad_503[:2]}")
        if stats.server_errors:
            problems.append(f"{len(stats.server_errors)} 5xx other than 503, e.g. {stats.server_errors[:3]}")
        problems += loadsim.verify_database(url, stats)
        print(f"  gunicorn log: {log}")
    finally:
        if server is not None:
            server.stop()
        print(f"  PostgreSQL log: {pg.remove()}")
    print("  RESULT: " + ("PASS" if not problems else "FAIL\n    " + "\n    ".join(str(p) for p in problems[:20])))
    return not problems
