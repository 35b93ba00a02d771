"""Shared pieces of the load and fault benches: a bench database, gunicorn, simulated grid workers.

Each simulated worker signs in, pulls, starts a patrol and sends a batch of fixes every few
seconds (time compressed: a batch holds a minute of 5-second fixes), reports one incident and
logs one visit. Every write carries the client's id, so a retry after an error or a lost answer
is safe; a client counts a record as stored only when the server acknowledged it.
"""

import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil
import requests

ROOT = Path(__file__).resolve().parent.parent
STREET = "330106030"
ORIGIN = (120.30, 30.20)
CELL = (0.0030, 0.0027)
COLUMNS = 15
PASSWORD = "bench-password-123"
FIX_STEP_S = 5
FIXES_PER_BATCH = 12


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url(name, port=None, user=None, password=None):
    """DATABASE_URL with its database replaced by `name`, or a loopback URL on `port` with the credentials given."""
    if port is None:
        base = os.environ.get("DATABASE_URL", "postgresql://gridpatrol@127.0.0.1:5432/gridpatrol")
        return base.rsplit("/", 1)[0] + "/" + name
    user = user or os.environ.get("DB_USER", "gridpatrol")
    password = os.environ.get("DB_PASSWORD", "") if password is None else password
    auth = f"{user}:{password}@" if password else f"{user}@"
    return f"postgresql://{auth}127.0.0.1:{port}/{name}"


def run(cmd, env=None, **kw):
    """Run a command from the project root; raise with its output when it fails."""
    done = subprocess.run(cmd, cwd=ROOT, env={**os.environ, **(env or {})}, capture_output=True, text=True, **kw)
    if done.returncode != 0:
        raise RuntimeError(f"{cmd} failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return done.stdout


def migrate_and_seed(url, workers):
    """Migrate, seed the demo street, then add a bench street with one grid, worker and person per worker."""
    env = {"DATABASE_URL": url, "LOG_LEVEL": "warning"}
    flask = str(ROOT / ".venv" / "bin" / "flask")
    run([flask, "db", "upgrade"], env=env)
    run([flask, "seed-demo"], env=env)
    code = f"from bench.loadsim import seed_bench_street; seed_bench_street({workers})"
    run([sys.executable, "-c", code], env=env)


def _box(x0, y0, x1, y1):
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def grid_cell(n):
    """(x0, y0, x1, y1) of the n-th bench grid."""
    col, row = n % COLUMNS, n // COLUMNS
    x0, y0 = ORIGIN[0] + col * CELL[0], ORIGIN[1] + row * CELL[1]
    return x0, y0, x0 + CELL[0], y0 + CELL[1]


def seed_bench_street(workers):
    """Street 330106030: communities of two rows of grids, one worker per grid (idempotent)."""
    from patrol import create_app
    from patrol.areas import service as areas
    from patrol.areas.models import GridAssignment
    from patrol.auth.models import User
    from patrol.auth.passwords import hash_password
    from patrol.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": os.environ["DATABASE_URL"]})
    with app.app_context():
        if areas.area_by_code(STREET):
            return
        rows = (workers + COLUMNS - 1) // COLUMNS
        communities = (rows + 1) // 2

        def fc(features):
            return {"type": "FeatureCollection", "features": features}

        def feature(code, geometry, **props):
            return {
                "type": "Feature",
                "properties": {"code": code, "name": f"压测{code}", **props},
                "geometry": geometry,
            }

        top = ORIGIN[1] + rows * CELL[1]
        areas.import_areas(
            None, "street", None, fc([feature(STREET, _box(*ORIGIN, ORIGIN[0] + COLUMNS * CELL[0], top))])
        )
        community_features = []
        for c in range(communities):
            y0, y1 = ORIGIN[1] + 2 * c * CELL[1], min(ORIGIN[1] + (2 * c + 2) * CELL[1], top)
            community_features.append(
                feature(f"{STREET}{c + 1:03d}", _box(ORIGIN[0], y0, ORIGIN[0] + COLUMNS * CELL[0], y1))
            )
        areas.import_areas(None, "community", STREET, fc(community_features))
        for c in range(communities):
            grids = [
                feature(f"{STREET}{c + 1:03d}{n - c * 2 * COLUMNS + 1:03d}", _box(*grid_cell(n)), households=400)
                for n in range(c * 2 * COLUMNS, min((c + 1) * 2 * COLUMNS, rows * COLUMNS))
            ]
            areas.import_areas(None, "grid", f"{STREET}{c + 1:03d}", fc(grids))
        digest = hash_password(PASSWORD)
        for n in range(workers):
            c = n // (2 * COLUMNS)
            grid = areas.area_by_code(f"{STREET}{c + 1:03d}{n - c * 2 * COLUMNS + 1:03d}")
            user = User(
                username=f"bench-w{n + 1:03d}",
                full_name=f"压测网格员{n + 1}",
                password_hash=digest,
                role="worker",
                area_id=grid.parent_id,
            )
            db.session.add(user)
            db.session.flush()
            db.session.add(
                GridAssignment(
                    user_id=user.id, grid_id=grid.id, start_date=datetime.now(UTC).date() - timedelta(days=30)
                )
            )
        db.session.commit()


class Gunicorn:
    """gunicorn with deploy/gunicorn.conf.py on a loopback port, its output in a log file."""

    def __init__(self, url, log_path, workers=None):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "LOG_LEVEL": "warning",
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
        }
        if workers:
            env["GUNICORN_WORKERS"] = str(workers)
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        self.log = open(log_path, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.peak_rss = defaultdict(int)
        self._sampling = True
        self._sampler = threading.Thread(target=self._sample, daemon=True)

    def wait_ready(self, seconds=60):
        deadline = time.time() + seconds
        while time.time() < deadline:
            try:
                if requests.get(self.base + "/api/v1/health", timeout=2).status_code == 200:
                    self._sampler.start()
                    return
            except requests.RequestException:
                pass
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}; see {self.log.name}")
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not answer within {seconds} s; see {self.log.name}")

    def workers(self):
        try:
            return psutil.Process(self.proc.pid).children()
        except psutil.NoSuchProcess:
            return []

    def _sample(self):
        while self._sampling:
            for child in self.workers():
                with contextlib.suppress(psutil.NoSuchProcess):
                    self.peak_rss[child.pid] = max(self.peak_rss[child.pid], child.memory_info().rss)
            time.sleep(0.2)

    def stop(self):
        self._sampling = False
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(40)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class Stats:
    """Latencies and statuses per endpoint, and what the server acknowledged."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latency = defaultdict(list)
        self.status = defaultdict(lambda: defaultdict(int))
        self.patrols = set()
        self.fixes = defaultdict(set)  # patrol id -> acknowledged fix times (ms)
        self.incidents = set()
        self.visits = set()
        self.bad_503 = []  # 503 answers without Retry-After or not in the error shape
        self.server_errors = []  # 5xx other than 503
        self.transport_errors = 0

    def note(self, label, status, seconds):
        with self.lock:
            self.latency[label].append(seconds)
            self.status[label][status] += 1


class SimulatedWorker(threading.Thread):
    """One grid worker's shift, compressed: sign in, pull, patrol, report, visit, keep sending fixes."""

    def __init__(self, base, n, person_id, stats, stop_at, batch_every=5.0):
        super().__init__(daemon=True)
        self.base, self.n, self.person_id, self.stats = base, n, person_id, stats
        self.stop_at, self.batch_every = stop_at, batch_every
        self.session = requests.Session()
        self.rng = random.Random(n)
        self.failed = None

    def call(self, label, method, path, give_up_at=None, **kw):
        """Send until the server answers something other than 503/5xx/transport error; return the response."""
        give_up_at = give_up_at or self.stop_at + 120
        delay = 0.5
        while True:
            started = time.perf_counter()
            try:
                response = self.session.request(method, self.base + path, timeout=30, **kw)
            except requests.RequestException:
                with self.stats.lock:
                    self.stats.transport_errors += 1
                response = None
            elapsed = time.perf_counter() - started
            if response is not None:
                self.stats.note(label, response.status_code, elapsed)
                if response.status_code < 500:
                    return response
                self._check_server_error(label, response)
                if response.status_code == 503:
                    delay = float(response.headers.get("Retry-After", "1") or 1)
            if time.time() > give_up_at:
                raise RuntimeError(f"{label}: no answer before the deadline")
            time.sleep(min(delay, 5) * (0.5 + self.rng.random()))
            delay = min(delay * 2, 5)

    def _check_server_error(self, label, response):
        try:
            body = response.json()
        except ValueError:
            body = None
        shaped = isinstance(body, dict) and set(body) == {"code", "status", "message", "errors"}
        with self.stats.lock:
            if response.status_code == 503:
                if not (shaped and response.headers.get("Retry-After")) or "Traceback" in response.text:
                    self.stats.bad_503.append((label, response.text[:200], dict(response.headers)))
            else:
                self.stats.server_errors.append((label, response.status_code, response.text[:300]))

    def run(self):
        try:
            self._shift()
        except Exception as exc:  # noqa: BLE001 - reported in the summary
            self.failed = f"worker {self.n}: {exc!r}"

    def _shift(self):
        login = self.call(
            "POST /auth/login",
            "POST",
            "/api/v1/auth/login",
            json={"username": f"bench-w{self.n + 1:03d}", "password": PASSWORD},
        )
        if login.status_code != 200:
            raise RuntimeError(f"login {login.status_code}: {login.text[:200]}")
        self.session.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        pull = self.call("GET /sync/pull", "GET", "/api/v1/sync/pull")
        grid_id = pull.json()["grid_ids"][0]
        x0, y0, x1, y1 = grid_cell(self.n)
        now = datetime.now(UTC)
        start = (now - timedelta(minutes=60)).replace(microsecond=0)
        patrol_id = str(uuid.uuid4())
        body = {"id": patrol_id, "grid_id": grid_id, "started_at": start.isoformat()}
        self._ack(self.call("POST /patrols", "POST", "/api/v1/patrols", json=body), (200, 201), "patrols", patrol_id)
        fix_t = int(start.timestamp() * 1000)
        lon, lat = (x0 + x1) / 2, (y0 + y1) / 2
        reported = visited = False
        batch = 0
        time.sleep(self.rng.random() * self.batch_every)
        while time.time() < self.stop_at:
            rows = []
            for _ in range(FIXES_PER_BATCH):
                fix_t += FIX_STEP_S * 1000
                lon = min(max(lon + self.rng.uniform(-0.00006, 0.00006), x0 + 0.0003), x1 - 0.0003)
                lat = min(max(lat + self.rng.uniform(-0.00006, 0.00006), y0 + 0.0003), y1 - 0.0003)
                rows.append([fix_t, round(lon, 7), round(lat, 7), 6.0, 1.1, None])
            response = self.call(
                "POST /patrols/{id}/points", "POST", f"/api/v1/patrols/{patrol_id}/points", json={"points": rows}
            )
            if response.status_code == 200:
                with self.stats.lock:
                    self.stats.fixes[patrol_id].update(r[0] for r in rows)
            else:
                raise RuntimeError(f"points {response.status_code}: {response.text[:200]}")
            batch += 1
            if batch == 3 and not reported:
                self._report(lon, lat)
                reported = True
            if batch == 6 and not visited:
                self._visit()
                visited = True
            if batch % 10 == 0:
                self.call("GET /sync/pull", "GET", "/api/v1/sync/pull")
            time.sleep(self.batch_every * (0.8 + 0.4 * self.rng.random()))
        ended = datetime.fromtimestamp(fix_t / 1000, UTC).isoformat()
        self.call("POST /patrols/{id}/finish", "POST", f"/api/v1/patrols/{patrol_id}/finish", json={"ended_at": ended})

    def _report(self, lon, lat):
        incident_id = str(uuid.uuid4())
        body = {
            "id": incident_id,
            "location": {"type": "Point", "coordinates": [round(lon, 7), round(lat, 7)]},
            "category": "0602",
            "description": f"压测上报 {self.n}",
        }
        self._ack(
            self.call("POST /incidents", "POST", "/api/v1/incidents", json=body), (200, 201), "incidents", incident_id
        )

    def _visit(self):
        if self.person_id is None:
            return
        visit_id = str(uuid.uuid4())
        body = {
            "id": visit_id,
            "person_id": self.person_id,
            "visited_at": datetime.now(UTC).isoformat(),
            "method": "入户",
            "condition": "正常",
        }
        self._ack(self.call("POST /visits", "POST", "/api/v1/visits", json=body), (200, 201), "visits", visit_id)

    def _ack(self, response, ok, kind, record_id):
        if response.status_code not in ok:
            raise RuntimeError(f"{kind} {response.status_code}: {response.text[:200]}")
        with self.stats.lock:
            getattr(self.stats, kind).add(record_id)


def register_people(base, workers, threads=8):
    """One person in each bench worker's grid, registered by the demo admin; -> [person id]."""
    from concurrent.futures import ThreadPoolExecutor

    session = requests.Session()
    demo_password = os.environ.get("DEMO_PASSWORD", "gridpatrol-demo")
    token = session.post(
        base + "/api/v1/auth/login", json={"username": "demo-admin", "password": demo_password}, timeout=30
    ).json()["access_token"]
    session.headers["Authorization"] = f"Bearer {token}"

    def one(n):
        from patrol.people.idcard import check_char

        x0, y0, x1, y1 = grid_cell(n)
        first17 = f"33010619500101{n % 1000:03d}"
        body = {
            "name": f"压测老人{n}",
            "id_number": first17 + check_char(first17),
            "location": {"type": "Point", "coordinates": [(x0 + x1) / 2, (y0 + y1) / 2]},
            "categories": [{"category": "elderly_alone", "extra": {"living": "独居"}}],
        }
        for _ in range(5):
            response = session.post(base + "/api/v1/people", json=body, timeout=60)
            if response.status_code in (200, 201):
                return response.json()["id"]
            if response.status_code == 409:
                listed = session.get(base + "/api/v1/people", params={"q": body["name"]}, timeout=60).json()
                rows = listed["items"] if isinstance(listed, dict) else listed
                return rows[0]["id"] if rows else None
            time.sleep(1)
        raise RuntimeError(f"person {n}: {response.status_code} {response.text[:200]}")

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(one, range(workers)))


def percentiles(values):
    ordered = sorted(values)
    if not ordered:
        return (0, 0, 0)

    def at(p):
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000

    return at(50), at(95), at(99)


def report(stats, seconds):
    """Print throughput and p50/p95/p99 per endpoint."""
    total = sum(len(v) for v in stats.latency.values())
    print(
        f"  requests: {total} in {seconds:.0f} s = {total / seconds:.1f} req/s;"
        f" transport errors {stats.transport_errors}"
    )
    print(f"  {'endpoint':32} {'count':>7} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  statuses")
    for label in sorted(stats.latency):
        p50, p95, p99 = percentiles(stats.latency[label])
        n = len(stats.latency[label])
        codes = ", ".join(f"{k}×{v}" for k, v in sorted(stats.status[label].items()))
        print(f"  {label:32} {n:7d} {n / seconds:7.1f} {p50:8.0f} {p95:8.0f} {p99:8.0f}  {codes}")


def verify_database(url, stats):
    """Compare the database with what the clients were told; -> list of problems (empty when exact)."""
    import psycopg

    problems = []
    with psycopg.connect(url) as conn:
        patrols = list(stats.patrols)
        found = conn.execute("SELECT count(*) FROM patrol WHERE id = ANY(%s::uuid[])", (patrols,)).fetchone()[0]
        if found != len(patrols):
            problems.append(f"patrols: {found} stored of {len(patrols)} acknowledged")
        rows = conn.execute(
            "SELECT patrol_id::text, (extract(epoch FROM fix_time) * 1000)::bigint FROM track_point"
            " WHERE patrol_id = ANY(%s::uuid[])",
            (patrols,),
        ).fetchall()
        stored = defaultdict(list)
        for pid, t_ms in rows:
            stored[pid].append(t_ms)
        lost = dupes = 0
        for pid, fixes in stats.fixes.items():
            lost += len(fixes - set(stored[pid]))
        for times in stored.values():
            dupes += len(times) - len(set(times))
        acked = sum(len(f) for f in stats.fixes.values())
        if lost or dupes:
            problems.append(f"track points: {lost} acknowledged fixes lost, {dupes} duplicates (of {acked})")
        for kind, table in (("incidents", "incident"), ("visits", "visit")):
            ids = list(getattr(stats, kind))
            found = conn.execute(f"SELECT count(*) FROM {table} WHERE id = ANY(%s::uuid[])", (ids,)).fetchone()[0]
            if found != len(ids):
                problems.append(f"{kind}: {found} stored of {len(ids)} acknowledged")
        # No extra records either: everything the bench workers own is what they were acknowledged.
        for kind, sql in (
            ("patrols", "SELECT count(*) FROM patrol p JOIN app_user u ON u.id = p.worker_id"),
            ("incidents", "SELECT count(*) FROM incident i JOIN app_user u ON u.id = i.reporter_id"),
            ("visits", "SELECT count(*) FROM visit v JOIN app_user u ON u.id = v.worker_id"),
        ):
            try:
                owned = conn.execute(sql + " WHERE u.username LIKE 'bench-w%%'").fetchone()[0]
            except psycopg.Error as exc:
                conn.rollback()
                print(f"  (cannot count {kind} by owner: {str(exc).splitlines()[0]})")
                continue
            if owned != len(getattr(stats, kind)):
                problems.append(f"{kind}: {owned} in the database for bench workers, {len(getattr(stats, kind))} acked")
        print(
            f"  acknowledged: {len(patrols)} patrols, {acked} fixes, {len(stats.incidents)} incidents,"
            f" {len(stats.visits)} visits; in the database: {len(rows)} fixes of these patrols"
        )
    return problems


def summarize_memory(server, limit_mb=250):
    peaks = sorted(server.peak_rss.items())
    figures = ", ".join(f"{pid}:{rss / 2**20:.0f}" for pid, rss in peaks)
    worst = max((rss for _, rss in peaks), default=0) / 2**20
    print(f"  peak RSS per gunicorn worker (MB): {figures}; max {worst:.0f} MB (limit {limit_mb})")
    return worst


def dump(path, data):
    Path(path).write_text(json.dumps(data, ensure_ascii=False, indent=1))
