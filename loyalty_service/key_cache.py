"""The keys a service process has found in the database lately, so most calls need no lookup,
and how a revoked key leaves every process's cache at once.

A key found is kept ``CACHE_SECONDS`` at most: that is the bound. Sooner than that, a revocation
(terminal_keys.revoke_key, run by ``loyalty-service revoke-key`` or by any process) clears every
process's cache:

- on PostgreSQL it sends ``NOTIFY loyalty_keys``, which each process's listener
  (postgres_listener.py) hears within milliseconds, and ``cleared()`` empties the cache;
- on both databases it also writes a fresh token to ``meta`` (``keys_revoked``). A process that
  cannot hear notifications (SQLite, or PostgreSQL while its listener reconnects) reads that one
  row at most every ``RECHECK_SECONDS``, when it is about to answer from the cache, and empties the
  cache when the token has changed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from loyalty_service.database import Connection, Database
from loyalty_service.terminal_keys import REVOCATIONS, KeyHolder, find_key

CACHE_SECONDS = 5.0
RECHECK_SECONDS = 0.25
MAX_ENTRIES = 10_000


class KeyCache:
    """Terminal and HQ keys by keyed hash, for one process. Safe from any thread."""

    def __init__(self, database: Database, *, notified: Callable[[], bool] = lambda: False,
                 clock: Callable[[], float] = time.monotonic) -> None:
        """``notified``: true while revocations arrive as notifications (the token need not be read)."""
        self._database = database
        self._notified = notified
        self._clock = clock
        self._entries: dict[str, tuple[KeyHolder, float]] = {}
        self._lock = threading.Lock()
        self._token: str | None = None  # the revocation token last read
        self._checked_at = float("-inf")

    def known(self, digest: str) -> KeyHolder | None:
        """The holder, when the cache can say without touching the database (no revocation token
        to read now); else None, and ``holder`` (in a worker thread) answers."""
        now = self._clock()
        cached = self._entries.get(digest)
        if cached is None or cached[1] <= now:
            return None
        if self._token is None or not (self._notified() or now - self._checked_at < RECHECK_SECONDS):
            return None
        return cached[0]

    def holder(self, digest: str) -> KeyHolder | None:
        """Who holds the key with this hash, or None when no key has it (not cached)."""
        now = self._clock()
        cached = self._entries.get(digest)
        if cached is not None and cached[1] > now and not self._revoked_since(now):
            return cached[0]
        with self._database.connection() as conn:
            if self._token is None:
                self._read_token(conn, now)  # before the lookup: a revocation after it is seen
            holder = find_key(conn, digest)
        if holder is not None:
            with self._lock:
                if len(self._entries) >= MAX_ENTRIES:
                    self._entries.clear()
                self._entries[digest] = (holder, now + CACHE_SECONDS)
        return holder

    def cleared(self) -> None:
        """Forget every key: one was revoked, or notifications may have been missed."""
        with self._lock:
            self._entries.clear()

    def _revoked_since(self, now: float) -> bool:
        if self._notified() or now - self._checked_at < RECHECK_SECONDS:
            return False
        before = self._token
        with self._database.connection() as conn:
            token = self._read_token(conn, now)
        if token == before:
            return False
        self.cleared()
        return True

    def _read_token(self, conn: Connection, now: float) -> str:
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (REVOCATIONS,)).fetchone()
        self._token = row["value"] if row is not None else ""
        self._checked_at = now
        return self._token
