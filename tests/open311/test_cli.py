"""flask open311 add-client / list-clients / rotate-key, and the loop stopping with its parent."""

import base64
import re
import subprocess
import sys

import pytest
from sqlalchemy import text

from patrol.extensions import db
from patrol.open311 import outbox
from patrol.people import crypto
from tests.open311.conftest import order


def test_add_client_prints_key_and_secret_once_and_stores_only_hash_and_ciphertext(runner, departments, client):
    result = runner.invoke(
        args=["open311", "add-client", "--name", "市级平台", "--callback-url", "http://127.0.0.1:9/cb"]
    )
    assert result.exit_code == 0, result.output
    api_key = re.search(r"api_key=(\S+)", result.output).group(1)
    secret = re.search(r"secret=(\S+)", result.output).group(1)
    stored = db.session.execute(text("SELECT api_key_hash, secret_enc FROM open311_client")).one()
    assert api_key not in stored.api_key_hash and secret not in stored.secret_enc
    assert client.post("/open311/v2/requests.json", data=order(api_key)).status_code == 201
    listed = runner.invoke(args=["open311", "list-clients"]).output
    assert "市级平台" in listed and api_key[:10] in listed and api_key not in listed
    again = runner.invoke(args=["open311", "add-client", "--name", "市级平台"])
    assert again.exit_code == 1 and "已存在" in again.output  # in the default language (zh-CN)
    bad = runner.invoke(args=["open311", "add-client", "--name", "x", "--callback-url", "file:///etc/passwd"])
    assert bad.exit_code == 1


def test_rotate_key_reencrypts_secrets_and_contacts(app, runner, client, hotline, upstream, street, monkeypatch):
    fields = order(hotline["api_key"], phone="13912345678")
    case = client.post("/open311/v2/requests.json", data=fields).get_json()[0]["service_request_id"]
    old = crypto.current_key()
    monkeypatch.setitem(app.config, "PII_KEY", crypto.generate_key())
    monkeypatch.setitem(app.config, "PII_OLD_KEYS", base64.urlsafe_b64encode(old.raw).decode())
    result = runner.invoke(args=["open311", "rotate-key"])
    assert "re-encrypted 2" in result.output, result.output
    monkeypatch.setitem(app.config, "PII_OLD_KEYS", "")  # the old key is gone: everything reads under the new one
    revealed = street.post(f"/api/v1/open311/requests/{case}/reveal-contact", json={"reason": "核对"})
    assert revealed.get_json()["contact"]["phone"] == "13912345678"
    street.post(f"/api/v1/incidents/{case}/actions", json={"action": "dispatch"})
    assert outbox.deliver_due() == (1, 0) and all(r["valid"] for r in upstream.received)


def test_the_loop_stops_when_the_process_it_runs_beside_is_gone(app, departments):
    parent = subprocess.Popen([sys.executable, "-c", "pass"])  # noqa: S603
    parent.wait()
    calls = []
    outbox.run_loop(1, while_pid=parent.pid, sleep=calls.append)
    assert calls == []


def test_the_loop_keeps_going_when_the_database_is_away(app, departments, monkeypatch):
    from sqlalchemy.exc import OperationalError

    runs = []

    def flaky_deliver():
        runs.append(1)
        if len(runs) == 1:
            raise OperationalError("SELECT 1", {}, Exception("connection refused"))
        return (0, 0)

    class Stop(Exception):
        pass

    def sleep(seconds):
        if len(runs) >= 2:
            raise Stop

    monkeypatch.setattr(outbox, "deliver_due", flaky_deliver)
    with pytest.raises(Stop):
        outbox.run_loop(1, sleep=sleep)
    assert len(runs) == 2
