"""The phone judges a patrol by the server's rules: static/pwa/src/figures.js gives the server's figures.

The worker sees its figures while walking and a provisional verdict when offline; both must be what
the server will say. The same fixes (a walk with a GPS spike, low-accuracy fixes and a gap) go to the
API and, through Node.js, to the phone's module; the figures and the reasons must agree.
"""

import json
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from patrol.geo import from_db
from patrol.patrols.rules import DEFAULT_RULES
from tests.patrols.helpers import AM, PM, local_time, new_id, start_body, walk

PWA = Path(__file__).resolve().parents[2] / "static" / "pwa" / "src"

RUNNER = """
import { figures, gridFrame, reasons } from "./figures.mjs";
let text = "";
for await (const chunk of process.stdin) text += chunk;
const input = JSON.parse(text);
const figs = figures(input.fixes, gridFrame(input.geometry, input.rules.cell_m), input.rules);
const { fixes, stretches, ...summary } = figs;
const verdict = reasons(input.patrol, figs, input.rules);
console.log(JSON.stringify({ ...summary, flags: fixes.map((f) => f.flag), reasons: verdict }));
"""


@pytest.fixture
def phone(tmp_path):
    """Run the phone's figures module (copied as ES modules) under Node.js with one JSON input."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js is needed (it builds the front ends too)")
    for name in ("figures", "geo"):
        source = (PWA / f"{name}.js").read_text(encoding="utf-8").replace('"./geo.js"', '"./geo.mjs"')
        (tmp_path / f"{name}.mjs").write_text(source, encoding="utf-8")
    (tmp_path / "run.mjs").write_text(RUNNER, encoding="utf-8")

    def run(payload):
        done = subprocess.run(
            [node, str(tmp_path / "run.mjs")], input=json.dumps(payload), capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    return run


def _rules(app):
    rules = {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in DEFAULT_RULES.items()}
    config = app.config
    return {
        **rules,
        "max_accuracy_m": float(config.get("PATROL_MAX_ACCURACY_M") or 50),
        "max_speed_mps": float(config.get("PATROL_MAX_SPEED_MPS") or 7),
        "far_outside_m": float(config.get("PATROL_FAR_OUTSIDE_M") or 200),
        "gap_s": float(config.get("PATROL_GAP_S") or 120),
        "cell_m": float(config.get("PATROL_COVERAGE_CELL_M") or 50),
        "timezone": config["TIMEZONE"],
    }


def _messy_walk(grid, start, minutes):
    """A walk with a GPS spike (500 m off for one fix), a run of ±120 m fixes and a 5-minute gap."""
    rows = walk(grid, start, minutes=minutes)
    spike = rows[20]
    rows[20] = [spike[0], spike[1] + 0.005, spike[2], 8.0, None, None]
    for row in rows[30:45]:
        row[3] = 120.0
    return rows[:60] + rows[120:]


@pytest.mark.parametrize(("clock", "minutes"), [(AM, 35), (PM, 12)])
def test_the_phone_computes_the_servers_figures_and_verdict(app, worker, grid, phone, clock, minutes):
    start = local_time(1, clock)
    rows = _messy_walk(grid, start, minutes)
    body = start_body(grid.id, start, new_id())
    assert worker.post("/api/v1/patrols", json=body).status_code in (200, 201)
    stored = worker.post(f"/api/v1/patrols/{body['id']}/points", json={"points": rows})
    assert stored.status_code == 200, stored.get_json()
    ended = start + timedelta(minutes=minutes)
    finished = worker.post(f"/api/v1/patrols/{body['id']}/finish", json={"ended_at": ended.isoformat()})
    assert finished.status_code == 200, finished.get_json()
    server = worker.get(f"/api/v1/patrols/{body['id']}").get_json()["properties"]

    mine = phone(
        {
            "geometry": from_db(grid.geom).__geo_interface__,
            "rules": _rules(app),
            "fixes": [{"t": r[0], "lon": r[1], "lat": r[2], "acc": r[3]} for r in rows],
            "patrol": {"started_at": start.isoformat(), "ended_at": ended.isoformat()},
        }
    )
    assert any(f & 1 for f in mine["flags"]) and any(f & 2 for f in mine["flags"])  # poor fixes and the spike
    assert mine["point_count"] == server["point_count"]
    assert mine["clean_count"] == server["clean_count"]
    assert mine["distance_m"] == pytest.approx(server["distance_m"], rel=0.005)
    assert abs(mine["duration_s"] - server["duration_s"]) <= 1
    assert mine["inside_share"] == pytest.approx(server["inside_share"], abs=0.01)
    assert mine["coverage"] == pytest.approx(server["coverage"], abs=0.005)
    assert mine["reasons"] == server["invalid_reasons"]
    assert ("too_short" in mine["reasons"]) == (minutes < DEFAULT_RULES["min_duration_min"])
