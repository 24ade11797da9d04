"""What the till remembers to identify and show customers while the loyalty service is away.

Kept: the account summary the service gave (id, first name and initial, tier, balance with its
time, rewards) and the programme and catalog documents. Not kept: phone, card, QR or NFC values
in the clear — a lookup is stored as an HMAC of the value under a key that never leaves this
till's data folder, so a copied cache file does not give away anyone's number. Entries older
than the age limit are not used. The file is checked at start and rebuilt when damaged: it only
ever holds copies, unlike the outbox, which is a separate file and never thrown away.

Best effort: a write that fails (disk full, read-only) or a read that fails is logged, without
any customer data, and the lookup goes on without the cache; it never fails a sale.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    account_id TEXT PRIMARY KEY,
    summary TEXT NOT NULL,
    stored_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS lookups (
    key_hash TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(account_id) ON DELETE CASCADE,
    stored_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS documents (
    name TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    stored_at REAL NOT NULL
);
"""

# The only fields of a summary the cache keeps; anything else a platform sends is dropped.
SUMMARY_FIELDS = (
    "account_id", "display_name", "currency", "balance", "balance_as_of", "tier", "next_reward", "rewards_available",
)


@dataclass(frozen=True, slots=True)
class CachedSummary:
    document: dict[str, Any]
    stored_at: float


class CustomerCache:
    def __init__(self, path: Path, *, max_age_seconds: float = 30 * 24 * 3600) -> None:
        self.path = path
        self.max_age_seconds = max_age_seconds
        self.rebuilt = False
        path.parent.mkdir(parents=True, exist_ok=True)
        self._key = _cache_key(path.parent / "cache-key")
        self._lock = threading.Lock()
        self._conn = self._open()

    def _open(self) -> sqlite3.Connection:
        try:
            conn = _connect(self.path)
            if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise sqlite3.DatabaseError("quick_check failed")
            conn.executescript(SCHEMA)
            return conn
        except sqlite3.DatabaseError:
            # Only copies live here: throw the damaged file away and start empty.
            self.rebuilt = True
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            conn = _connect(self.path)
            conn.executescript(SCHEMA)
            return conn

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def _best_effort(self, what: str) -> Iterator[None]:
        """Hold the lock; an SQLite failure inside is logged (SQLite's words only) and swallowed."""
        with self._lock:
            try:
                yield
            except sqlite3.Error as error:
                log.warning("customer cache: could not %s (%s); going on without it", what, error)
                try:
                    if self._conn.in_transaction:
                        self._conn.rollback()  # so the next write does not join a failed one
                except sqlite3.Error:
                    pass

    def _lookup_hash(self, method: str, value: str) -> str:
        return hmac.new(self._key, f"{method}\x00{value}".encode(), hashlib.sha256).hexdigest()

    def remember(self, method: str, value: str, summary: Mapping[str, Any]) -> None:
        """Keep the summary, findable again by this method and value."""
        now = time.time()
        kept = {name: summary.get(name) for name in SUMMARY_FIELDS}
        with self._best_effort("remember a customer"), self._conn:
            self._conn.execute(
                "INSERT INTO accounts (account_id, summary, stored_at) VALUES (?, ?, ?)"
                " ON CONFLICT(account_id) DO UPDATE SET summary = excluded.summary, stored_at = excluded.stored_at",
                (kept["account_id"], json.dumps(kept), now),
            )
            self._conn.execute(
                "INSERT OR REPLACE INTO lookups (key_hash, account_id, stored_at) VALUES (?, ?, ?)",
                (self._lookup_hash(method, value), kept["account_id"], now),
            )

    def update_balance(self, account_id: str, balance: int, as_of: str | None) -> None:
        """A confirmed sale told us the new balance: keep the cached summary in step."""
        with self._best_effort("update a balance"), self._conn:
            row = self._conn.execute("SELECT summary FROM accounts WHERE account_id = ?", (account_id,)).fetchone()
            if row is None:
                return
            summary = json.loads(row[0])
            summary["balance"] = balance
            summary["balance_as_of"] = as_of
            self._conn.execute(
                "UPDATE accounts SET summary = ?, stored_at = ? WHERE account_id = ?",
                (json.dumps(summary), time.time(), account_id),
            )

    def recall(self, method: str, value: str) -> CachedSummary | None:
        """The summary last seen for this method and value, unless it is older than the limit."""
        row = None
        with self._best_effort("look a customer up"):
            row = self._conn.execute(
                "SELECT a.summary, a.stored_at FROM lookups l JOIN accounts a USING (account_id)"
                " WHERE l.key_hash = ?",
                (self._lookup_hash(method, value),),
            ).fetchone()
        if row is None or time.time() - row[1] > self.max_age_seconds:
            return None
        return CachedSummary(json.loads(row[0]), row[1])

    def remember_document(self, name: str, body: Mapping[str, Any]) -> None:
        with self._best_effort("keep a document"), self._conn:
            self._conn.execute(
                "INSERT OR REPLACE INTO documents (name, body, stored_at) VALUES (?, ?, ?)",
                (name, json.dumps(body), time.time()),
            )

    def recall_document(self, name: str) -> dict[str, Any] | None:
        row = None
        with self._best_effort("read a document"):
            row = self._conn.execute("SELECT body FROM documents WHERE name = ?", (name,)).fetchone()
        return json.loads(row[0]) if row else None


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=10, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


def _cache_key(path: Path) -> bytes:
    """This till's secret for lookup hashes, made once (mode 0600)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return bytes.fromhex(path.read_text().strip())
    with os.fdopen(fd, "w") as handle:
        key = secrets.token_bytes(32)
        handle.write(key.hex())
    return key
