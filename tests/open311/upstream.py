"""A fake upstream platform on loopback: receives callbacks and checks their signature as docs/open311.md says."""

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def verify(secret, timestamp, signature, body, now=None, tolerance=300):
    """The upstream's check (the snippet in docs/open311.md): fresh timestamp, HMAC over '<ts>.<body>'."""
    try:
        ts = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs((now or time.time()) - ts) > tolerance:
        return False
    expected = "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature or "")


class FakeUpstream:
    """Records every callback; `answer` is the status it replies with (503 simulates an outage)."""

    def __init__(self):
        self.secret = None
        self.answer = 200
        self.location = None  # with answer 302: where it redirects to
        self.received = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                valid = verify(
                    fake.secret,
                    self.headers.get("X-GridPatrol-Timestamp"),
                    self.headers.get("X-GridPatrol-Signature"),
                    body,
                )
                status = fake.answer if valid else 401
                fake.received.append(
                    {"path": self.path, "headers": dict(self.headers), "body": body, "valid": valid, "status": status}
                )
                self.send_response(status)
                if status == 302:
                    self.send_header("Location", fake.location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}/callbacks/gridpatrol"

    def accepted(self):
        """The JSON bodies the upstream accepted (valid signature, 2xx), in arrival order."""
        return [json.loads(r["body"]) for r in self.received if 200 <= r["status"] < 300]

    def close(self):
        self.server.shutdown()
        self.server.server_close()
