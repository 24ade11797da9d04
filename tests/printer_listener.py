"""A network receipt printer played by a TCP listener on loopback: a thread accepts connections on
port 9100's model, reads the bytes, and answers the real-time status queries (DLE EOT n) as an
Epson printer does. ``close_after`` makes it drop the connection part-way through a receipt;
``paper`` and ``online`` set what it reports. Used by the printer tests and the benchmark."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field

# Status bytes: fixed bits 0x12; DLE EOT 1 bit 3 offline; DLE EOT 2 bit 2 cover open; DLE EOT 4 bits 5-6 paper end.
ONLINE, OFFLINE = 0x12, 0x1A
COVER_OPEN = 0x16
PAPER_OK, PAPER_LOW, NO_PAPER = 0x12, 0x1E, 0x72


@dataclass
class Received:
    """One connection: its bytes, and when each chunk arrived (perf_counter)."""

    data: bytearray = field(default_factory=bytearray)
    chunks: list[tuple[float, int]] = field(default_factory=list)  # (time, bytes so far)

    def time_of(self, marker: bytes) -> float | None:
        """When the chunk holding the end of the first ``marker`` arrived."""
        at = self.data.find(marker)
        if at < 0:
            return None
        end = at + len(marker)
        return next(when for when, size in self.chunks if size >= end)


class PrinterListener:
    def __init__(self, *, close_after: int | None = None, online: bool = True, paper: int = PAPER_OK,
                 cover_open: bool = False, answers: bool = True, port: int = 0) -> None:
        self.close_after = close_after
        self.online = online and not cover_open
        self.paper = paper
        self.cover_open = cover_open
        self.answers = answers
        self.connections: list[Received] = []
        self._server = socket.create_server(("127.0.0.1", port))
        self._server.settimeout(0.2)
        self.port = self._server.getsockname()[1]
        self.url = f"tcp://127.0.0.1:{self.port}"
        self._stopped = threading.Event()
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._serve, name="printer listener", daemon=True)

    def __enter__(self) -> PrinterListener:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopped.set()
        self._thread.join(2)
        self._server.close()

    def receipts(self) -> list[bytes]:
        """Every connection's bytes that carried a receipt (ESC @), in order."""
        with self._changed:
            return [bytes(c.data) for c in self.connections if b"\x1b@" in c.data]

    def wait_for_receipts(self, count: int, timeout: float = 10.0) -> list[bytes]:
        deadline = time.monotonic() + timeout
        with self._changed:
            while len([c for c in self.connections if b"\x1dV" in c.data]) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"the printer got {len(self.connections)} connection(s), not {count} receipt(s)")
                self._changed.wait(left)
        return self.receipts()

    def _serve(self) -> None:
        while not self._stopped.is_set():
            try:
                conn, _ = self._server.accept()
            except (TimeoutError, socket.timeout):
                continue
            except OSError:
                return
            with conn:
                self._talk(conn)

    def _talk(self, conn: socket.socket) -> None:
        received = Received()
        with self._changed:
            self.connections.append(received)
        conn.settimeout(0.2)
        scanned = 0
        while not self._stopped.is_set():
            try:
                chunk = conn.recv(65536)
            except (TimeoutError, socket.timeout):
                continue
            except OSError:
                return
            if not chunk:
                return
            with self._changed:
                if self.close_after is not None and len(received.data) + len(chunk) >= self.close_after:
                    received.data += chunk[: max(self.close_after - len(received.data), 0)]
                    received.chunks.append((time.perf_counter(), len(received.data)))
                    self._changed.notify_all()
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    return  # gone mid-receipt: the rest is refused (RST)
                received.data += chunk
                received.chunks.append((time.perf_counter(), len(received.data)))
                self._changed.notify_all()
            while self.answers:
                at = received.data.find(b"\x10\x04", scanned)
                if at < 0 or at + 2 >= len(received.data):
                    break
                scanned = at + 3
                conn.sendall(bytes([self._answer(received.data[at + 2])]))

    def _answer(self, n: int) -> int:
        if n == 1:
            return ONLINE if self.online else OFFLINE
        if n == 2:
            return COVER_OPEN if self.cover_open else (0x32 if self.paper == NO_PAPER else 0x12)
        if n == 4:
            return self.paper
        return 0x12
