"""A nightly dump restores into a fresh database with the same rows: counts and checksums of key tables."""

import os
import subprocess
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
KEY_TABLES = (
    "area",
    "app_user",
    "grid_assignment",
    "audit_entry",
    "patrol",
    "track_point",
    "incident",
    "incident_event",
    "photo",
    "person",
    "visit",
    "task_item",
)


def _fingerprint(url):
    """Row count and an md5 over every row (in primary-key order) of each key table."""
    with psycopg.connect(url) as conn:
        prints = {}
        for table in KEY_TABLES:
            count, digest = conn.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {table} t"
            ).fetchone()
            prints[table] = (count, digest)
        return prints


def _psql_url(sqlalchemy_url):
    return make_url(sqlalchemy_url).set(drivername="postgresql").render_as_string(hide_password=False)


def test_dump_restores_into_a_fresh_database_with_identical_rows(app, demo, login, tmp_path):
    from patrol.demo import seed_demo

    with app.app_context():
        seed_demo("demo-password-for-tests", days=2)  # every feature's demo history: patrols, incidents, people
    source = _psql_url(app.config["SQLALCHEMY_DATABASE_URI"])
    before = _fingerprint(source)
    assert all(count > 0 for count, _ in before.values()), before

    env = {**os.environ, "DATABASE_URL": source, "BACKUP_DIR": str(tmp_path / "backups")}
    env.pop("PHOTO_DIR", None)
    dump = subprocess.run(
        [str(ROOT / "deploy/backup.sh")],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout.strip()
    target = make_url(source).database + "_restore_check"
    try:
        subprocess.run(
            [str(ROOT / "deploy/restore.sh"), dump, target],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=300,
        )
        restored = make_url(source).set(database=target).render_as_string(hide_password=False)
        assert _fingerprint(restored) == before
    finally:
        subprocess.run(
            [
                "/usr/sbin/runuser",
                "-u",
                "postgres",
                "--",
                "psql",
                "-qc",
                f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)',
            ],
            check=False,
            capture_output=True,
        )
