"""Load: 300 simulated grid workers against gunicorn for 2 minutes, then the database against the acks.

    python -m bench load          # BENCH_WORKERS=300 BENCH_SECONDS=120 by default

Loopback only, bounded in count and time. Builds its own database (<DB_NAME>_load): migrate,
`flask seed-demo`, a bench street with one grid, worker and person per simulated worker. Prints
throughput and p50/p95/p99 per endpoint, the peak RSS of each gunicorn worker (limit 250 MB),
every 5xx, and whether the database holds exactly what the clients were told was stored. Then
the memory of 100,000-row CSV and XLSX exports through patrol/tabular.py against 10,000 rows.
"""

import os
import subprocess
import sys
import tempfile
import time

from bench import loadsim

WORKERS = int(os.environ.get("BENCH_WORKERS", "300"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "120"))
RSS_LIMIT_MB = 250


def run_load(base, people, seconds, stats, ramp_s=None):
    """Start the simulated workers over `ramp_s` seconds, let them work until `seconds`, wait for them."""
    # Shifts start over the first half of the run: 300 Argon2 sign-ins at once would take the cores for a minute.
    ramp_s = min(60.0, seconds / 2) if ramp_s is None else ramp_s
    stop_at = time.time() + seconds
    clients = [loadsim.SimulatedWorker(base, n, people[n], stats, stop_at) for n in range(len(people))]
    for n, client in enumerate(clients):
        client.start()
        time.sleep(ramp_s / max(1, len(clients)) if n < len(clients) else 0)
    for client in clients:
        client.join(timeout=max(1.0, stop_at + 180 - time.time()))
    return [c.failed for c in clients if c.failed] + [f"worker {c.n} still running" for c in clients if c.is_alive()]


EXPORT_PROBE = """
import sys, threading, time
import psutil
from datetime import date
from flask import Flask
from patrol.tabular import Column, table_response
rows_n, fmt = int(sys.argv[1]), sys.argv[2]
columns = [Column("grid", "网格", "Grid", "text", 20), Column("day", "日期", "Day", "date", 12),
           Column("n", "次数", "Count", "int", 8), Column("share", "比例", "Share", "percent", 8),
           Column("note", "说明", "Note", "text", 30)]
def rows():
    for i in range(rows_n):
        yield {"grid": f"330106010{i % 1000:06d}", "day": date(2026, 1, 1 + i % 28), "n": i, "share": (i % 100) / 100,
               "note": "巡查正常 / patrol normal " + str(i)}
# ru_maxrss would start at the parent's high-water mark (Linux keeps it across fork and exec): sample instead.
me, peak_rss = psutil.Process(), [0]
def sample():
    while True:
        peak_rss[0] = max(peak_rss[0], me.memory_info().rss)
        time.sleep(0.005)
threading.Thread(target=sample, daemon=True).start()
app = Flask("probe")
with app.test_request_context():
    warm = table_response(fmt, iter([{"grid": "x", "day": date(2026, 1, 1), "n": 1, "share": 0.5, "note": "x"}]),
                          columns, "warm")
    sum(len(chunk) for chunk in warm.response)
    time.sleep(0.05)
    before = peak_rss[0] // 1024
    response = table_response(fmt, rows(), columns, "probe")
    size = sum(len(chunk) for chunk in response.response)
    time.sleep(0.05)
    peak = peak_rss[0] // 1024
print(size, before, peak)
"""


def export_memory():
    """Peak RSS growth of a CSV and an XLSX export of 10,000 and 100,000 rows (fresh process each)."""
    print("\n  exports through patrol/tabular.py (rows from a generator, as a server-side cursor gives them):")
    flat = True
    for fmt in ("csv", "xlsx"):
        growth = {}
        for rows in (10_000, 100_000):
            out = subprocess.run(
                [sys.executable, "-c", EXPORT_PROBE, str(rows), fmt], cwd=loadsim.ROOT, capture_output=True, text=True
            )
            if out.returncode != 0:
                print(f"    {fmt} {rows}: failed: {out.stderr[-500:]}")
                flat = False
                continue
            size, before, peak = (int(v) for v in out.stdout.split()[-3:])
            growth[rows] = (peak - before) / 1024
            print(
                f"    {fmt:4} {rows:7d} rows: {size / 2**20:6.1f} MB written, peak RSS {peak / 1024:6.1f} MB"
                f" (+{growth[rows]:.1f} MB over the process after a one-row export)"
            )
        if len(growth) == 2 and growth[100_000] > growth[10_000] + 20:
            flat = False
    print(f"    memory flat from 10,000 to 100,000 rows: {'yes' if flat else 'NO'}")
    return flat


def main():
    name = os.environ.get("DATABASE_URL", "/gridpatrol").rsplit("/", 1)[1].split("?")[0] + "_load"
    url = loadsim.database_url(name)
    print(f"  database {name}: provisioning, migrating, seeding demo + {WORKERS} bench workers …", flush=True)
    started = time.time()
    loadsim.run(["deploy/provision-postgis.sh", "--recreate", name])
    loadsim.migrate_and_seed(url, WORKERS)
    print(f"  ready in {time.time() - started:.0f} s", flush=True)
    log = os.path.join(tempfile.gettempdir(), f"gridpatrol-load-{os.getpid()}.log")
    server = loadsim.Gunicorn(url, log)
    problems = []
    try:
        server.wait_ready()
        people = loadsim.register_people(server.base, WORKERS)
        print(f"  gunicorn {server.base} ({len(server.workers())} workers), {WORKERS} clients for {SECONDS:.0f} s …")
        stats = loadsim.Stats()
        t0 = time.time()
        problems += run_load(server.base, people, SECONDS, stats)
        elapsed = time.time() - t0
        loadsim.report(stats, elapsed)
        worst = loadsim.summarize_memory(server, RSS_LIMIT_MB)
        if worst > RSS_LIMIT_MB:
            problems.append(f"a gunicorn worker peaked at {worst:.0f} MB > {RSS_LIMIT_MB} MB")
        fivexx = sum(n for codes in stats.status.values() for code, n in codes.items() if code >= 500)
        print(f"  5xx answers: {fivexx}")
        if fivexx:
            problems.append(f"{fivexx} 5xx answers, e.g. {(stats.server_errors + stats.bad_503)[:3]}")
        problems += loadsim.verify_database(url, stats)
    finally:
        server.stop()
    if not export_memory():
        problems.append("export memory grows with the row count")
    print(f"  gunicorn log: {log}")
    print("  RESULT: " + ("PASS" if not problems else "FAIL\n    " + "\n    ".join(str(p) for p in problems[:20])))
    return not problems
