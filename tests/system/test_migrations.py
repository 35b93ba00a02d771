"""The migrations form one chain, and patrol links are foreign keys that wait for a patrol synced later."""

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from patrol.extensions import db

ROOT = Path(__file__).resolve().parents[2]


def test_flask_db_heads_shows_one_head():
    """Run as a newcomer would: `flask db heads` (Alembic prints to the stdout it saw at import)."""
    flask = Path(sys.executable).with_name("flask")
    env = {**os.environ, "FLASK_APP": "wsgi"}
    result = subprocess.run([flask, "db", "heads"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    heads = [line for line in result.stdout.splitlines() if "(head)" in line]
    assert len(heads) == 1, result.stdout


def test_patrol_links_are_foreign_keys(app):
    rows = db.session.execute(
        text("""
            SELECT c.conrelid::regclass::text FROM pg_constraint c
            WHERE c.contype = 'f' AND c.confrelid = 'patrol'::regclass
        """)
    ).scalars()
    assert {"visit", "incident", "task_completion", "patrol_participant"} <= set(rows)
