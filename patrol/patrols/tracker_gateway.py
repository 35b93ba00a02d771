"""Tracker gateway: an asyncio server for the OsmAnd endpoint that commits concurrent fixes together.

Why it exists: trackers send one fix per request every few seconds, thousands of them at once in a
district. Under gunicorn each fix still pays a thread hand-off and a commit of its own, even on the lean
path (fast_fixes). Here each uvicorn worker answers fixes on one event loop and writes every fix that
arrived while the previous write was in flight with one statement and one commit (fast_fixes.STORE over
arrays). Each 200 goes out only after the commit that holds its fix, so an answered fix is never lost.

Anything that is not the common case (JSON bodies, unknown devices, malformed fixes, no open patrol, a
silence, a new day, a database error) and every other path goes to the Flask app itself, run in threads
by a2wsgi, so the answers are exactly the app's. Run it beside the app; nginx sends /api/v1/osmand here:

    uvicorn --factory patrol.patrols.tracker_gateway:create_gateway --port 8001 --workers 2
"""

import asyncio
import logging
import time

import psycopg
from a2wsgi import WSGIMiddleware

from patrol.patrols.fast_fixes import (
    MAX_FORM_BYTES,
    PATH,
    STORE,
    answer_headers,
    connection_settings,
    first_wins,
    fix_args,
    record_answer,
    store_arguments,
)
from patrol.system import logs

log = logging.getLogger(__name__)
MAX_BATCH = 500  # fixes per statement; more wait for the next one


class FixWriter:
    """Writes queued fixes in batches on one connection; store() resolves once its fix's batch committed."""

    def __init__(self, config):
        self.config = config
        self._conninfo, self._connect_args, self._prepare = connection_settings(config)
        self._queue = []
        self._wake = asyncio.Event()
        self._conn = None
        self._task = None

    def start(self):
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self):
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._conn is not None:
            await self._conn.close()

    async def store(self, fix):
        """True when the fix was the common case and is committed; False: nothing written, ask the app."""
        future = asyncio.get_running_loop().create_future()
        self._queue.append((fix, future))
        self._wake.set()
        return await future

    async def _run(self):
        batch = []
        try:
            while True:
                await self._wake.wait()
                self._wake.clear()
                while self._queue:
                    batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
                    stored = await self._write([fix for fix, _ in batch])
                    _answer_all(batch, stored)
                    batch = []
        finally:  # stopping: every fix not answered yet goes to the app (a replayed fix is stored once)
            _answer_all(batch + self._queue, set())
            self._queue = []

    async def _write(self, fixes):
        """Ordinals of the stored fixes; an empty set when the database failed (the app then answers)."""
        try:
            if self._conn is None or self._conn.closed:
                self._conn = await psycopg.AsyncConnection.connect(
                    self._conninfo, autocommit=True, **self._connect_args
                )
            cursor = await self._conn.execute(STORE, store_arguments(self.config, fixes), prepare=self._prepare)
            return {row[0] for row in await cursor.fetchall()}
        except psycopg.Error as exc:
            log.warning("tracker gateway: batch of %d fixes left to the app (%s)", len(fixes), type(exc).__name__)
            if self._conn is not None:
                await self._conn.close()
            self._conn = None
            return set()


def _answer_all(batch, stored):
    """Resolve each fix's future: True when its ordinal is among the stored ones."""
    for ordinal, (_, future) in enumerate(batch, start=1):
        if not future.done():
            future.set_result(ordinal in stored)


class Gateway:
    """ASGI app: the common OsmAnd fix through FixWriter, everything else to the Flask app."""

    def __init__(self, flask_app):
        flask_app.config["OSMAND_LEAN_PATH"] = False  # fixes reaching the app here want the full path
        self.config = flask_app.config
        self.app = WSGIMiddleware(flask_app.wsgi_app, workers=8)
        self.writer = FixWriter(flask_app.config)

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            return await self._lifespan(receive, send)
        if scope["type"] != "http" or scope["path"] != PATH:
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        params, receive = await _params(scope, receive)
        fix = fix_args(self.config, params) if params is not None else None
        if fix is None or not await self.writer.store(fix):
            return await self.app(scope, receive, send)
        await _answer(scope, send, started)

    async def _lifespan(self, receive, send):
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.writer.start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.writer.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return


def _header(scope, name):
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


async def _params(scope, receive):
    """(the fix's parameters or None, a receive that still yields the body for the app)."""
    query = scope.get("query_string", b"")
    if not query.isascii():
        return None, receive
    if scope["method"] == "GET":
        return first_wins(query.decode("ascii")), receive
    mimetype = (_header(scope, b"content-type") or "").partition(";")[0].strip().lower()
    length = _header(scope, b"content-length") or "0"
    if scope["method"] != "POST" or not length.isdigit() or int(length) > MAX_FORM_BYTES:
        return None, receive
    if mimetype not in ("", "application/x-www-form-urlencoded"):
        return None, receive
    body = await _read_body(receive)
    replay = _replaying(body, receive)
    if not body.isascii():
        return None, replay
    return {**first_wins(query.decode("ascii")), **first_wins(body.decode("ascii"))}, replay


async def _read_body(receive):
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def _replaying(body, receive):
    sent = False

    async def replay():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _answer(scope, send, started):
    """200 with an empty body and the app's headers, access line and metrics (as fast_fixes._answer)."""
    request_id = logs.request_id_from(_header(scope, b"x-request-id"))
    headers = answer_headers(scope.get("scheme") == "https", request_id)
    encoded = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers]
    await send({"type": "http.response.start", "status": 200, "headers": encoded})
    await send({"type": "http.response.body", "body": b""})
    client = scope.get("client")
    record_answer(request_id, scope["method"], started, client and client[0])


def create_gateway():
    """The gateway around a Flask app configured from the environment (uvicorn --factory)."""
    from patrol import create_app

    return Gateway(create_app())
