"""Results back upstream: signed, in order, retried with backoff, surviving a restart, only to the callback URL."""

import os
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from patrol.localtime import utcnow
from patrol.open311 import outbox
from tests.open311.conftest import order
from tests.open311.upstream import FakeUpstream

ROOT = Path(__file__).resolve().parents[2]


def place(client, hotline, upstream_id="GD-2026-0001", **extra):
    response = client.post("/open311/v2/requests.json", data=order(hotline["api_key"], upstream_id, **extra))
    assert response.status_code == 201, response.get_json()
    return response.get_json()[0]["service_request_id"]


def act(api, incident_id, action, **body):
    response = api.post(f"/api/v1/incidents/{incident_id}/actions", json={"action": action, **body})
    assert response.status_code == 200, response.get_json()


def deliver(runner):
    result = runner.invoke(args=["open311", "deliver"])
    assert result.exit_code == 0, result.output
    return result.output


def deliver_in_a_fresh_process():
    """`flask open311 deliver` in a new process on the test database (as after a restart)."""
    env = {**os.environ, "DATABASE_URL": os.environ["TEST_DATABASE_URL"], "FLASK_APP": "wsgi"}
    result = subprocess.run(
        [sys.executable, "-m", "flask", "open311", "deliver"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_each_state_change_reaches_the_upstream_signed_and_in_order(
    client, runner, hotline, upstream, street, chengguan
):
    case = place(client, hotline)
    act(street, case, "dispatch")
    act(chengguan, case, "start")
    act(chengguan, case, "resolve", note="已劝离占道摊位")
    act(street, case, "close")
    assert upstream.received == []  # nothing leaves before the delivery run
    assert "delivered 4" in deliver(runner)
    assert all(r["valid"] for r in upstream.received)
    bodies = upstream.accepted()
    assert [b["action"] for b in bodies] == ["dispatch", "start", "resolve", "close"]
    assert [b["status"] for b in bodies] == ["open", "open", "open", "closed"]
    assert {b["upstream_id"] for b in bodies} == {"GD-2026-0001"}
    assert {b["service_request_id"] for b in bodies} == {case}
    assert bodies[2]["status_notes"] == "已劝离占道摊位"
    assert bodies[0]["sequence"] < bodies[1]["sequence"] < bodies[2]["sequence"] < bodies[3]["sequence"]
    assert all(r["path"] == "/callbacks/gridpatrol" for r in upstream.received)
    assert "delivered 0" in deliver(runner)  # each change once
    [closed] = client.get(f"/open311/v2/requests/{case}.json?api_key={hotline['api_key']}").get_json()
    assert closed["status"] == "closed" and closed["status_notes"]


def test_a_tampered_or_stale_callback_fails_the_upstream_check(client, runner, hotline, upstream, street):
    act(street, place(client, hotline), "dispatch")
    deliver(runner)
    [genuine] = upstream.received
    headers = {
        k.lower(): v for k, v in genuine["headers"].items() if k.lower().startswith(("x-gridpatrol", "content-type"))
    }

    def replay(body, **changed):
        request = urllib.request.Request(upstream.url, data=body, headers={**headers, **changed}, method="POST")  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 -- loopback test server
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code

    assert replay(genuine["body"]) == 200
    assert replay(genuine["body"].replace(b'"open"', b'"closed"')) == 401
    stale = str(int(headers["x-gridpatrol-timestamp"]) - 3600)
    assert replay(genuine["body"], **{"x-gridpatrol-timestamp": stale}) == 401


def _pending(street, status="pending,failed"):
    query = "&".join(f"status={s}" for s in status.split(","))
    response = street.get(f"/api/v1/open311/deliveries?{query}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_outage_backs_off_exponentially_and_delivers_when_the_upstream_is_back(client, hotline, upstream, street, app):
    act(street, place(client, hotline), "dispatch")
    upstream.answer = 503
    start = utcnow() + timedelta(seconds=1)
    assert outbox.deliver_due(now=start) == (0, 1)
    [row] = _pending(street)
    assert (row["attempts"], row["last_error"]) == (1, "HTTP 503")
    first_wait = datetime.fromisoformat(row["next_attempt_at"]) - start
    assert first_wait == timedelta(seconds=app.config["OPEN311_BACKOFF_SECONDS"])
    assert outbox.deliver_due(now=start + first_wait / 2) == (0, 0)  # not yet due: no request at all
    assert len(upstream.received) == 1
    second = start + first_wait
    assert outbox.deliver_due(now=second) == (0, 1)
    [row] = _pending(street)
    assert datetime.fromisoformat(row["next_attempt_at"]) - second == 2 * first_wait
    upstream.answer = 200
    assert outbox.deliver_due(now=second + 2 * first_wait) == (1, 0)
    assert _pending(street) == []
    assert [b["action"] for b in upstream.accepted()] == ["dispatch"]


def test_failed_after_max_attempts_the_street_retries_and_a_fresh_process_delivers(
    client, hotline, upstream, street, app, monkeypatch
):
    monkeypatch.setitem(app.config, "OPEN311_MAX_ATTEMPTS", 2)
    case = place(client, hotline)
    act(street, case, "dispatch")
    upstream.answer = 503
    now = utcnow() + timedelta(seconds=1)
    outbox.deliver_due(now=now)
    outbox.deliver_due(now=now + timedelta(hours=1))
    [row] = _pending(street)
    assert (row["status"], row["attempts"]) == ("failed", 2)
    assert outbox.deliver_due(now=now + timedelta(days=1)) == (0, 0)  # failed: waits for the street
    upstream.answer = 200
    retried = street.post("/api/v1/open311/deliveries/retry", json={"ids": [row["id"]]})
    assert retried.status_code == 200 and retried.get_json() == {"retried": [row["id"]]}
    assert "delivered 1" in deliver_in_a_fresh_process()
    assert _pending(street) == []
    assert [d["id"] for d in _pending(street, "delivered")] == [row["id"]]
    again = street.post("/api/v1/open311/deliveries/retry", json={"ids": [row["id"]]})
    assert again.status_code == 409
    unknown = street.post("/api/v1/open311/deliveries/retry", json={"ids": [row["id"] + 1000]})
    assert unknown.status_code == 422


def test_a_later_change_waits_for_an_earlier_one_of_the_same_case(client, hotline, upstream, street, chengguan):
    case = place(client, hotline)
    act(street, case, "dispatch")
    upstream.answer = 503
    now = utcnow() + timedelta(seconds=1)
    outbox.deliver_due(now=now)
    act(chengguan, case, "start")
    upstream.answer = 200
    assert outbox.deliver_due(now=now + timedelta(seconds=5)) == (0, 0)  # the start waits behind the dispatch
    assert outbox.deliver_due(now=now + timedelta(hours=1)) == (2, 0)
    assert [b["action"] for b in upstream.accepted()] == ["dispatch", "start"]


def test_deliveries_go_only_to_the_configured_callback(client, runner, hotline, upstream, street):
    elsewhere = FakeUpstream()
    try:
        case = place(client, hotline, callback_url=elsewhere.url)  # a request cannot name a callback
        act(street, case, "dispatch")
        upstream.answer, upstream.location = 302, elsewhere.url
        deliver(runner)
        assert len(upstream.received) == 1 and elsewhere.received == []  # the redirect is not followed
        [row] = _pending(street)
        assert row["last_error"] == "HTTP 302"
    finally:
        elsewhere.close()


def test_patrol_incidents_and_clients_without_a_callback_send_nothing(client, runner, admin, street, login):
    issued = admin.post("/api/v1/open311/clients", json={"name": "平台"}).get_json()
    case = client.post("/open311/v2/requests.json", data=order(issued["api_key"])).get_json()[0]["service_request_id"]
    act(street, case, "dispatch")
    assert "delivered 0, failed attempts 0" in deliver(runner)
    [row] = _pending(street)  # kept until a callback URL is configured
    assert row["attempts"] == 0
    worker = login("demo-worker")
    from tests.incidents.helpers import report_body

    reported = worker.post("/api/v1/incidents", json=report_body()).get_json()
    act(street, reported["id"], "accept")
    assert len(_pending(street)) == 1


@pytest.mark.parametrize("role", ["demo-worker", "demo-community", "dept-chengguan"])
def test_only_the_street_sees_and_retries_deliveries(login, departments, role):
    api = login(role)
    assert api.get("/api/v1/open311/deliveries").status_code == 403
    assert api.post("/api/v1/open311/deliveries/retry", json={"ids": [1]}).status_code == 403
