"""A TCP proxy on loopback that breaks connections between a till and the service on purpose.

It can be re-pointed (``set_upstream``) at a service restarted on another port.

Each new connection gets one fault, chosen when it is accepted (the client reconnects after a
broken one, so the next request draws again):

- ``pass``: bytes go through untouched;
- ``refuse``: the connection is closed at once;
- ``delay``: the answer is held back ``delay`` seconds;
- ``hang``: the request is read and never answered;
- ``error500`` / ``error503``: the proxy answers itself, the service never sees the request;
- ``drop_reply``: the request reaches the service, which commits, and the answer is thrown
  away and the connection closed: the till cannot know the sale went through.

It runs its own event loop in a thread, so sync and async tests can use it alike.
"""

from __future__ import annotations

import asyncio
import random
import threading
from collections import Counter

FAULTS = ("pass", "refuse", "delay", "hang", "error500", "error503", "drop_reply")


class FaultProxy:
    def __init__(self, upstream_host: str, upstream_port: int, *, seed: int = 0, delay: float = 1.5) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.delay = delay
        self.weights: dict[str, float] = {"pass": 1.0}
        self.counts: Counter[str] = Counter()
        self._rng = random.Random(seed)
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._server: asyncio.base_events.Server | None = None
        self._thread = threading.Thread(target=self._run, name="fault-proxy", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        assert self._server is not None
        self.port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"

    def set_faults(self, **weights: float) -> None:
        """E.g. ``set_faults(pass=2, drop_reply=1)``; ``set_faults(pass=1)`` heals the network."""
        unknown = set(weights) - set(FAULTS)
        assert not unknown, unknown
        self.weights = dict(weights)

    def set_upstream(self, host: str, port: int) -> None:
        """Send new connections to a service started again elsewhere (open ones keep their own)."""
        self.upstream = (host, port)

    def close(self) -> None:
        async def shut() -> None:
            assert self._server is not None
            self._server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(shut(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    # -- the loop --------------------------------------------------------------------------------

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self._ready.set()
        self._loop.run_forever()

    def _draw(self) -> str:
        names = list(self.weights)
        fault = self._rng.choices(names, weights=[self.weights[n] for n in names])[0]
        self.counts[fault] += 1
        return fault

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        fault = self._draw()
        try:
            if fault == "refuse":
                return
            if fault in ("hang", "error500", "error503"):
                await _read_head(reader)
                if fault == "hang":
                    await asyncio.sleep(3600)
                status = "500 Internal Server Error" if fault == "error500" else "503 Service Unavailable"
                extra = "Retry-After: 1\r\n" if fault == "error503" else ""
                body = b'{"error": {"code": "unavailable", "message": "injected", "details": []}}'
                writer.write(
                    f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n{extra}"
                    f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body
                )
                await writer.drain()
                return
            head = await reader.readuntil(b"\r\n\r\n")
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
            try:
                # One request per connection, so every request draws its own fault.
                up_writer.write(_close_after(head))
                to_service = asyncio.create_task(_pipe(reader, up_writer))
                if fault == "drop_reply":
                    # Wait for the service's answer (it has committed by then), then drop it.
                    await up_reader.read(1)
                    to_service.cancel()
                    return
                if fault == "delay":
                    await asyncio.sleep(self.delay)
                await _pipe(up_reader, writer)
                to_service.cancel()
            finally:
                up_writer.close()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            writer.close()


async def _read_head(reader: asyncio.StreamReader) -> None:
    await reader.readuntil(b"\r\n\r\n")


def _close_after(head: bytes) -> bytes:
    lines = [line for line in head.split(b"\r\n") if line and not line.lower().startswith(b"connection:")]
    return b"\r\n".join([*lines, b"Connection: close", b"", b""])


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    try:
        while data := await source.read(65536):
            sink.write(data)
            await sink.drain()
    except ConnectionError:
        pass  # either side hung up: this connection is over
