"""gunicorn as `make run` starts it (deploy/gunicorn.conf.py, no nginx): clients sending their body a byte
at a time hold no thread, health still answers, and the slow ones get 408 after REQUEST_READ_SECONDS."""

import http.client
import json
import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
THREADS = 2
SLOW_CLIENTS = 3 * THREADS + 2


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _health(port, timeout=10):
    """(status, seconds) of GET /api/v1/health on a fresh connection."""
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", "/api/v1/health")
        return conn.getresponse().status, time.monotonic() - started
    finally:
        conn.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One gunicorn worker with 2 threads on the test database; requests must arrive within 4 s."""
    tmp = tmp_path_factory.mktemp("slow")
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": os.environ["TEST_DATABASE_URL"],
        "SECRET_KEY": "s" * 40,
        "AUDIT_KEY": "k" * 40,
        "AUDIT_ANCHOR_DIR": str(tmp / "audit"),
        "PHOTO_DIR": str(tmp / "photos"),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp / "metrics"),
        "GUNICORN_WORKERS": "1",
        "GUNICORN_THREADS": str(THREADS),
        "REQUEST_READ_SECONDS": "4",
        "LOG_FORMAT": "json",
    }
    log = open(tmp / "gunicorn.log", "w")  # noqa: SIM115
    command = [str(ROOT / ".venv/bin/gunicorn"), "-c", "deploy/gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"]
    process = subprocess.Popen([*command, "wsgi:app"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert process.poll() is None, (tmp / "gunicorn.log").read_text()[-3000:]
            try:
                if _health(port, timeout=2)[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("gunicorn did not start: " + (tmp / "gunicorn.log").read_text()[-3000:])
        yield port
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
        log.close()


class SlowClient(threading.Thread):
    """A POST whose 400-byte body arrives one byte every 0.2 s (80 s in all, unless the server closes)."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.answer = None

    def run(self):
        head = "POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        self.sock.sendall(f"{head}Content-Length: 400\r\n\r\n".encode())
        try:
            for _ in range(400):
                self.sock.sendall(b" ")
                time.sleep(0.2)
        except OSError:
            pass  # the server closed the connection
        try:
            self.answer = self.sock.recv(200)
        except OSError:
            self.answer = b""
        finally:
            self.sock.close()


def test_slow_bodies_hold_no_thread_and_are_closed(server):
    slow = [SlowClient(server) for _ in range(SLOW_CLIENTS)]
    for client in slow:
        client.start()
    time.sleep(1)  # every slow client has sent its headers and is dribbling its body
    answers = [_health(server) for _ in range(3)]
    assert all(status == 200 for status, _ in answers), answers
    assert min(seconds for _, seconds in answers) < 2, answers
    for client in slow:
        client.join(timeout=40)
    assert not any(client.is_alive() for client in slow), "slow clients are cut off after REQUEST_READ_SECONDS"
    for client in slow:
        assert client.answer == b"" or client.answer.startswith(b"HTTP/1.1 408"), client.answer


def test_whole_requests_keep_alive_and_expect_continue_still_work(server):
    conn = http.client.HTTPConnection("127.0.0.1", server, timeout=10)
    try:
        for _ in range(2):  # the same connection, kept alive
            body = json.dumps({"username": "nobody", "password": "wrong-password"})
            conn.request("POST", "/api/v1/auth/login", body=body, headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            assert response.status == 401 and json.loads(response.read())["status"] == 401
    finally:
        conn.close()

    body = json.dumps({"username": "nobody", "password": "wrong-password"}).encode()
    with socket.create_connection(("127.0.0.1", server), timeout=10) as sock:
        sock.sendall(
            b"POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Expect: 100-continue\r\nConnection: close\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n"
        )
        assert sock.recv(100).startswith(b"HTTP/1.1 100 Continue"), "the client waits for it before the body"
        sock.sendall(body)
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 401") and answer.count(b"100 Continue") == 0
