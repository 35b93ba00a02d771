"""A gthread worker that reads each whole request before a thread takes it (what nginx does in front).

gunicorn's gthread worker hands a connection to a thread as soon as the headers start arriving; a client
sending its body a byte at a time then holds that thread, and a few such clients hold them all (health
probes time out). This worker reads the headers and the body in its event loop, without a thread, and
submits the request only once it is complete. A request not complete within REQUEST_READ_SECONDS gets
408 and is closed. Bodies larger than MAX_CONTENT_LENGTH are not buffered: the app refuses them from
their Content-Length alone.

    worker_class = "patrol.system.gunicorn_worker.BufferingThreadWorker"   (deploy/gunicorn.conf.py)
"""

import contextlib
import re
import selectors
import time
from functools import partial

from gunicorn.http2 import negotiation
from gunicorn.workers.gthread import ThreadWorker

HEADER_END = b"\r\n\r\n"
MAX_HEADER_BYTES = 256 * 1024
RECV_BYTES = 256 * 1024
TIMED_OUT = b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*([^\r]*)", re.IGNORECASE)
_CHUNKED = re.compile(rb"\r\ntransfer-encoding:[^\r]*chunked", re.IGNORECASE)
_EXPECT = re.compile(rb"\r\nexpect:[ \t]*100-continue[ \t]*(?=\r\n)", re.IGNORECASE)


def request_state(buffer, max_body):
    """'complete', 'incomplete' or 'pass' (hand over now: malformed, too large, the app decides)."""
    end = buffer.find(HEADER_END)
    if end < 0:
        return "pass" if len(buffer) > MAX_HEADER_BYTES else "incomplete"
    head = bytes(buffer[:end])
    if _CHUNKED.search(head):
        return "complete" if buffer.endswith(b"0\r\n\r\n") and len(buffer) > end + 4 else "incomplete"
    lengths = _CONTENT_LENGTH.findall(head)
    if not lengths:
        return "complete"
    try:
        length = int(lengths[-1].strip())
    except ValueError:
        return "pass"
    if length < 0 or length > max_body:
        return "pass"
    return "complete" if len(buffer) >= end + 4 + length else "incomplete"


class BufferingThreadWorker(ThreadWorker):
    """gthread with whole requests read in the event loop before a thread is used."""

    def init_process(self):
        self._buffering = {}  # connection -> deadline
        super().init_process()

    def load_wsgi(self):
        super().load_wsgi()
        config = getattr(self.wsgi, "config", {})
        self.max_body = int(config.get("MAX_CONTENT_LENGTH") or 12 * 1024 * 1024)
        self.read_seconds = float(config.get("REQUEST_READ_SECONDS") or 60)

    def _can_buffer(self, conn):
        if self.cfg.is_ssl or negotiation.prior_knowledge_allowed(self.cfg, conn.client):
            return False
        return conn.parser is None or not conn.parser.unreader.buf.getvalue()

    def enqueue_req(self, conn):
        """Read the request in the event loop first; a thread only gets a complete one."""
        if getattr(conn, "prebuffer", None) is not None or not self._can_buffer(conn):
            super().enqueue_req(conn)
            return
        conn.prebuffer = bytearray()
        conn.continued = False  # per request: a kept-alive connection may ask again
        conn.sock.setblocking(False)
        self._buffering[conn] = time.monotonic() + self.read_seconds
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_readable, conn))

    def _on_readable(self, conn, sock):
        if not self._receive(conn, sock):
            self._drop(conn)
            return
        state = request_state(conn.prebuffer, self.max_body)
        if state == "incomplete":
            self._answer_expect_continue(conn, sock)
            return
        self._stop_buffering(conn)
        super().enqueue_req(conn)

    @staticmethod
    def _receive(conn, sock):
        """Append what the socket has; False when the client closed or the socket failed."""
        try:
            while True:
                data = sock.recv(RECV_BYTES)
                if not data:
                    return False
                conn.prebuffer += data
                if len(data) < RECV_BYTES:
                    return True
        except BlockingIOError:
            return True
        except OSError:
            return False

    def _answer_expect_continue(self, conn, sock):
        """A client sending "Expect: 100-continue" waits for it before the body: answer it here, once."""
        end = conn.prebuffer.find(HEADER_END)
        if end < 0 or conn.continued:
            return
        conn.continued = True
        head = bytes(conn.prebuffer[: end + 2])
        if _EXPECT.search(head):
            self._send_quietly(sock, CONTINUE)
            conn.prebuffer = bytearray(_EXPECT.sub(b"", head, count=1) + bytes(conn.prebuffer[end + 2 :]))

    def _stop_buffering(self, conn):
        self._buffering.pop(conn, None)
        with contextlib.suppress(KeyError, ValueError, OSError):
            self.poller.unregister(conn.sock)

    @staticmethod
    def _send_quietly(sock, data):
        with contextlib.suppress(OSError):
            sock.send(data)

    def _drop(self, conn, answer=None):
        self._stop_buffering(conn)
        if answer:
            self._send_quietly(conn.sock, answer)
        self.nr_conns -= 1
        conn.close()

    def handle(self, conn):
        """In the thread: give the parser the bytes already read, then serve as gthread does."""
        buffered = getattr(conn, "prebuffer", None)
        if buffered is not None:
            conn.prebuffer = None
            conn.sock.setblocking(True)
            conn.init()
            conn.parser.unreader.unread(bytes(buffered))
            conn.data_ready = True
        return super().handle(conn)

    def murder_pending(self):
        """Also answer 408 to requests still incomplete after REQUEST_READ_SECONDS."""
        super().murder_pending()
        now = time.monotonic()
        for conn, deadline in list(self._buffering.items()):
            if deadline <= now:
                self._drop(conn, TIMED_OUT)
