"""A service process's ear on PostgreSQL: one dedicated connection that ``LISTEN``s, so what
another process (on this host or another) writes reaches this one at once.

Channels: ``loyalty_events`` (a trigger on ``events`` notifies ``<id>:<account_id>`` for each new
event: postgres_database.py), heard by the process's event watcher (event_watch.py), and
``loyalty_keys`` (a key revoked: terminal_keys.py), which empties its key cache (key_cache.py).

The connection lives in a thread of its own, never in a request. When it drops (the server
restarted, the network) the thread reconnects, backing off from half a second to five, and says so
in the log once; while it is away the watcher and the key cache fall back to reading the database,
and on each (re)connection ``connected`` is called, since notifications sent meanwhile are lost.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import psycopg

log = logging.getLogger("loyalty_service.postgres_listener")

EVENTS_CHANNEL = "loyalty_events"
CHECK_SECONDS = 1.0  # how often the thread looks whether it should stop
BACKOFF = (0.5, 5.0)


class PostgresListener:
    """Say what to call for each channel (``on``) and after each (re)connection
    (``when_connected``), then ``start``. Handlers run in the listener's thread: keep them short."""

    def __init__(self, url: str, *, stopping: Callable[[], bool] = lambda: False) -> None:
        self._url = url
        self._handlers: dict[str, Callable[[str], None]] = {}
        self._connected_hook: Callable[[], object] = lambda: None
        self._stopping = stopping
        self._stop = threading.Event()
        self._listening = False
        self._thread: threading.Thread | None = None

    @property
    def listening(self) -> bool:
        """True while notifications can arrive (the connection is up and listening)."""
        return self._listening

    def on(self, channel: str, handler: Callable[[str], None]) -> None:
        self._handlers[channel] = handler

    def when_connected(self, hook: Callable[[], object]) -> None:
        self._connected_hook = hook

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="postgres-listener", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(CHECK_SECONDS * 3)

    def _done(self) -> bool:
        return self._stop.is_set() or self._stopping()

    def _run(self) -> None:
        delay = BACKOFF[0]
        failing = False
        while not self._done():
            try:
                self._listen()
                delay = BACKOFF[0]
            except (psycopg.Error, OSError) as error:
                if not failing:
                    reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
                    log.warning("live notifications lost (%s); reading the database until they are back", reason)
                failing = True
            else:
                failing = False
            if self._stop.wait(delay):
                return
            delay = min(BACKOFF[1], delay * 2)

    def _listen(self) -> None:
        # Keepalives, so a link that dies without a word is noticed within seconds.
        with psycopg.connect(self._url, autocommit=True, connect_timeout=10,
                             application_name="loyalty-service-listener",
                             keepalives=1, keepalives_idle=5, keepalives_interval=2, keepalives_count=2) as conn:
            for channel in self._handlers:
                conn.execute(f'LISTEN "{channel}"')  # our own constant names, never data
            self._listening = True
            try:
                self._connected_hook()
                while not self._done():
                    for note in conn.notifies(timeout=CHECK_SECONDS):
                        handler = self._handlers.get(note.channel)
                        if handler is not None:
                            handler(note.payload)
                        if self._done():
                            return
            finally:
                self._listening = False
