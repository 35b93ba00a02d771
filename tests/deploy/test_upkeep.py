"""Patrol upkeep outside the app: the systemd unit's command and `make run`'s loop close silent patrols."""

import os
import re
import subprocess
import time
from datetime import timedelta

from sqlalchemy import text

from patrol.extensions import db
from tests.deploy.test_install import ROOT, run_install_steps
from tests.patrols.helpers import AM, local_time, walk


def _silent_tracker_patrol(client, login, grid):
    """An open tracker patrol whose last fix was a day ago (silent far longer than the gap)."""
    key = login("demo-worker").post("/api/v1/patrols/tracker").get_json()["device_id"]
    for t, lon, lat, *_ in walk(grid, local_time(1, AM), minutes=1, step_s=10):
        assert client.get(f"/api/v1/osmand?id={key}&lat={lat}&lon={lon}&timestamp={t}&hdop=5").status_code == 200


def _open_patrols():
    count = db.session.execute(text("SELECT count(*) FROM patrol WHERE ended_at IS NULL")).scalar()
    db.session.commit()
    return count


def _env(tmp_path):
    return {
        **os.environ,
        "DATABASE_URL": os.environ["TEST_DATABASE_URL"],
        "FLASK_APP": "wsgi",
        "SECRET_KEY": "s" * 40,
        "PHOTO_DIR": str(tmp_path / "photos"),
    }


def test_the_upkeep_units_command_closes_silent_tracker_patrols(tmp_path, demo, client, login):
    _silent_tracker_patrol(client, login, demo["workers"][0][1])
    assert _open_patrols() == 1
    run_install_steps(tmp_path, "render_units")
    unit = (tmp_path / "etc/systemd/gridpatrol-upkeep.service").read_text()
    argv = re.search(r"^ExecStart=(.*)$", unit, re.M).group(1).split()
    done = subprocess.run(argv, cwd=ROOT, env=_env(tmp_path), capture_output=True, text=True, timeout=120)  # noqa: S603
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("closed 1 ")
    assert _open_patrols() == 0


def test_make_runs_upkeep_loop_closes_patrols_and_ends_with_the_server(tmp_path, demo, client, login):
    _silent_tracker_patrol(client, login, demo["workers"][0][1])
    recipe = subprocess.run(["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True).stdout  # noqa: S607
    assert re.search(r"scripts/upkeep-loop \$\$ & exec scripts/with-env \S+/gunicorn ", recipe)
    with subprocess.Popen(["sleep", "300"]) as server:  # noqa: S607 (stands for gunicorn)
        env = {**_env(tmp_path), "UPKEEP_INTERVAL": "1"}
        with subprocess.Popen([ROOT / "scripts/upkeep-loop", str(server.pid)], cwd=ROOT, env=env) as loop:
            deadline = time.monotonic() + 60
            while _open_patrols() and time.monotonic() < deadline and loop.poll() is None:
                time.sleep(0.2)  # polling a condition, with a deadline
            assert _open_patrols() == 0
            server.kill()
            server.wait()
            assert loop.wait(timeout=30) == 0


def test_upkeep_leaves_a_patrol_within_the_gap_open(demo, client, login, runner, app, monkeypatch):
    _silent_tracker_patrol(client, login, demo["workers"][0][1])
    monkeypatch.setitem(app.config, "PATROL_TRACKER_SILENCE_MIN", timedelta(days=3).total_seconds() / 60)
    assert runner.invoke(args=["patrols", "upkeep"]).output.startswith("closed 0 ")
    assert _open_patrols() == 1
