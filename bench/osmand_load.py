"""OsmAnd load: many trackers at once, each one keep-alive connection sending one fix per request.

A deployment has hundreds of trackers, each sending a fix every few seconds; a few sequential clients only
measure their own round-trip latency. Here CONNECTIONS trackers (one device and one worker each) send
real HTTP/1.1 GET requests from one asyncio process, each with a new fix and a new timestamp, and wait for
each answer before the next. Fix times are yesterday morning (inside the AM shift window), advancing with
the wall clock, so no run replays another's fixes.
"""

import asyncio
import os
import time
from datetime import datetime, timedelta

from bench import scale_data

CONNECTIONS = int(os.environ.get("BENCH_OSMAND_CONNECTIONS", 32))
FIRST_WORKER = 20


def _fix_clock():
    """Unix ms of the fix sent now: yesterday 06:05 local plus the wall clock's position in a 4-hour cycle."""
    yesterday = datetime.now(scale_data.TZ).date() - timedelta(days=1)
    base = datetime(yesterday.year, yesterday.month, yesterday.day, 6, 5, tzinfo=scale_data.TZ).timestamp()
    offset = int(time.time() * 1000) % (4 * 3600 * 1000)
    return int(base * 1000) + offset - int(time.time() * 1000)


class _Tracker(asyncio.Protocol):
    """One connection: send a request, read the answer (status line, headers, Content-Length body), repeat."""

    def __init__(self, make_request, deadline, done):
        self.make_request, self.deadline, self.done = make_request, deadline, done
        self.buffer, self.count, self.errors = b"", 0, 0

    def connection_made(self, transport):
        self.transport = transport
        transport.write(self.make_request())

    def data_received(self, data):
        self.buffer += data
        while True:
            head_end = self.buffer.find(b"\r\n\r\n")
            if head_end < 0:
                return
            status, *headers = self.buffer[:head_end].split(b"\r\n")
            length = 0
            for header in headers:
                name, _, value = header.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if len(self.buffer) < head_end + 4 + length:
                return
            if not status.startswith(b"HTTP/1.1 200"):
                self.errors += 1
            self.buffer = self.buffer[head_end + 4 + length :]
            self.count += 1
            if time.perf_counter() >= self.deadline:
                self.transport.close()
                return
            self.transport.write(self.make_request())

    def connection_lost(self, exc):
        if not self.done.done():
            self.done.set_result(None)


def _request_maker(key, g, shift_ms):
    x0, y0, x1, y1 = scale_data.grid_box(g)
    lat, lon = (y0 + y1) / 2, (x0 + x1) / 2
    state = {"t": 0, "n": 0}

    def make_request():
        t = max(state["t"] + 1, int(time.time() * 1000) + shift_ms)
        state["t"], state["n"] = t, state["n"] + 1
        query = f"id={key}&lat={lat + state['n'] % 50 * 1e-6:.7f}&lon={lon:.7f}&timestamp={t}&speed=2.3&accuracy=5"
        return f"GET /api/v1/osmand?{query} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()

    return make_request


async def _run(port, keys, seconds, warm_up):
    loop = asyncio.get_running_loop()
    shift_ms = _fix_clock()
    makers = [_request_maker(key, FIRST_WORKER + i, shift_ms) for i, key in enumerate(keys)]
    # One fix per tracker first: it opens (or joins) the tracker patrol through the full path.
    warm = [loop.create_future() for _ in keys]
    for maker, done in zip(makers, warm, strict=True):
        await loop.create_connection(lambda m=maker, d=done: _Tracker(m, 0, d), "127.0.0.1", port)
    await asyncio.gather(*warm)
    await asyncio.sleep(warm_up)
    began = time.perf_counter()
    finished = [loop.create_future() for _ in keys]
    trackers = []
    for maker, done in zip(makers, finished, strict=True):
        _, tracker = await loop.create_connection(
            lambda m=maker, d=done: _Tracker(m, began + seconds, d), "127.0.0.1", port
        )
        trackers.append(tracker)
    await asyncio.gather(*finished)
    elapsed = time.perf_counter() - began
    errors = sum(t.errors for t in trackers)
    assert errors == 0, f"{errors} OsmAnd requests were not answered 200"
    return sum(t.count for t in trackers) / elapsed


def run(port, keys, seconds, warm_up=1.0):
    """Requests/s of len(keys) trackers (workers FIRST_WORKER, FIRST_WORKER + 1, …) for `seconds`."""
    return asyncio.run(_run(port, keys, seconds, warm_up))
