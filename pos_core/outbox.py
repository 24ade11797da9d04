"""The till's own record of completed sales and the loyalty outbox, in one SQLite file.

A completed sale and its loyalty transaction are written in ONE transaction (WAL,
synchronous=FULL) before the cashier is told "done": whatever happens to the network or the
process afterwards, the sale is on disk with its id, and the sender delivers it later. A sale
leaves the outbox only when the service has confirmed it. This file is never thrown away or
rebuilt (unlike the customer cache); if it cannot be written, the sale is not done.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS completed_sales (
    sale_id TEXT PRIMARY KEY,
    completed_at TEXT NOT NULL,
    account_id TEXT,
    total INTEGER NOT NULL,
    journal TEXT NOT NULL,          -- lines, tender, totals as the receipt showed them
    loyalty_answer TEXT             -- the service's answer, once it confirmed
);
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,  -- the order sales are sent in
    sale_id TEXT NOT NULL UNIQUE REFERENCES completed_sales(sale_id),
    account_id TEXT NOT NULL,
    body TEXT NOT NULL,             -- the POST /v1/sales body, never changed once written
    points_expected INTEGER NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'set_aside')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    last_status INTEGER,            -- the HTTP status of the last failed attempt that had one
    status_streak INTEGER NOT NULL DEFAULT 0  -- 5xx answers in a row with that same status
);
"""
# Made after the columns are there (files from before gain them first).
INDEXES = """
CREATE INDEX IF NOT EXISTS outbox_by_customer ON outbox (state, account_id, seq);
"""
# Columns added since the first files were made: (name, definition), added when missing.
# (Files made before also keep a next_attempt_at column, unused: waits are the sender's,
# on its monotonic clock, so a step of the wall clock cannot stretch them.)
_ADDED_COLUMNS = (
    ("last_status", "INTEGER"),
    ("status_streak", "INTEGER NOT NULL DEFAULT 0"),
)

# After this many attempts in a row answered with the same 5xx status, a sale is "stuck": the
# service keeps failing on this sale in particular. It stays queued and is still retried.
STUCK_AFTER = 5


class OutboxError(RuntimeError):
    """The till could not save a sale (disk full, read-only, damaged file)."""


@dataclass(frozen=True, slots=True)
class PendingSale:
    sale_id: str
    account_id: str
    body: dict[str, Any]
    points_expected: int
    attempts: int
    last_error: str | None
    last_status: int | None = None
    status_streak: int = 0

    @property
    def stuck(self) -> bool:
        return self.status_streak >= STUCK_AFTER


@dataclass(frozen=True, slots=True)
class StuckSale:
    """A sale the service keeps failing with the same 5xx: shown to the supervisor."""

    sale_id: str
    account_id: str
    status: int
    attempts: int
    last_error: str


@dataclass(frozen=True, slots=True)
class SetAsideSale:
    sale_id: str
    account_id: str
    reason: str


class Outbox:
    """Thread-safe: the UI records from a worker thread, the sender reads and confirms."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        try:
            self._conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._conn.executescript(SCHEMA)
            _add_missing_columns(self._conn)
            self._conn.executescript(INDEXES)
        except sqlite3.Error as error:
            raise OutboxError(f"cannot open the till's sales file {path}: {error}") from None

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    yield self._conn
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise
                self._conn.execute("COMMIT")
            except sqlite3.Error as error:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise OutboxError(_plain(error)) from None

    def _read(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            try:
                cursor = self._conn.execute(sql, params)
                cursor.row_factory = sqlite3.Row
                return cursor.fetchall()
            except sqlite3.Error as error:
                raise OutboxError(f"the till cannot read its sales file ({error})") from None

    # -- writing -------------------------------------------------------------------------------

    def record_completed(
        self,
        sale_id: str,
        *,
        completed_at: str,
        total: int,
        journal: Mapping[str, Any],
        account_id: str | None = None,
        body: Mapping[str, Any] | None = None,
        points_expected: int = 0,
    ) -> bool:
        """Mark the sale complete and queue its loyalty transaction, atomically.

        Returns False (and changes nothing) when this sale id is already recorded.
        """
        with self._transaction() as conn:
            if conn.execute("SELECT 1 FROM completed_sales WHERE sale_id = ?", (sale_id,)).fetchone():
                return False
            conn.execute(
                "INSERT INTO completed_sales (sale_id, completed_at, account_id, total, journal) VALUES (?, ?, ?, ?, ?)",
                (sale_id, completed_at, account_id, total, json.dumps(journal, separators=(",", ":"))),
            )
            if body is not None:
                conn.execute(
                    "INSERT INTO outbox (sale_id, account_id, body, points_expected) VALUES (?, ?, ?, ?)",
                    (sale_id, body["account_id"], json.dumps(body, separators=(",", ":")), points_expected),
                )
        return True

    def confirm(self, sale_id: str, answer: Mapping[str, Any]) -> None:
        """The service has the sale: keep its answer, take it off the outbox.

        Committed with synchronous=FULL like every other write: the setting belongs to the one
        connection every thread shares, so lowering it here, even briefly, would also lower it
        for a sale the cashier records at the same moment.
        """
        with self._transaction() as conn:
            conn.execute(
                "UPDATE completed_sales SET loyalty_answer = ? WHERE sale_id = ?",
                (json.dumps(answer, separators=(",", ":")), sale_id),
            )
            conn.execute("DELETE FROM outbox WHERE sale_id = ?", (sale_id,))

    def retry_later(self, sale_id: str, error: str, *, status: int | None = None) -> int:
        """An attempt failed: count it, keep why. ``status`` is the HTTP status when the service
        (or a proxy) answered, None when it could not be reached. Returns the sale's streak of
        the same 5xx in a row (STUCK_AFTER or more: the sale is stuck)."""
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT last_status, status_streak FROM outbox WHERE sale_id = ?", (sale_id,)
            ).fetchone()
            if row is None:
                return 0
            streak = next_streak(row[0], row[1], status)
            conn.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?, last_status = COALESCE(?, last_status),"
                " status_streak = ? WHERE sale_id = ?",
                (error, status, streak, sale_id),
            )
        return streak

    def set_aside(self, sale_id: str, reason: str) -> None:
        """The service refused the sale for good: keep it, stop sending it, show it to people."""
        with self._transaction() as conn:
            conn.execute(
                "UPDATE outbox SET state = 'set_aside', attempts = attempts + 1, last_error = ? WHERE sale_id = ?",
                (reason, sale_id),
            )

    # -- reading -------------------------------------------------------------------------------

    def next_pending(self) -> PendingSale | None:
        """The oldest sale still to send."""
        rows = self._read(f"SELECT {_PENDING_COLUMNS} FROM outbox WHERE state = 'pending' ORDER BY seq LIMIT 1")
        return _pending(rows[0]) if rows else None

    def pending_heads(self) -> list[PendingSale]:
        """The oldest pending sale of each customer, oldest first: the only sales that may go
        now, since a customer's sales reach the service in the order they were made."""
        rows = self._read(
            f"SELECT {_PENDING_COLUMNS} FROM outbox WHERE seq IN"
            " (SELECT MIN(seq) FROM outbox WHERE state = 'pending' GROUP BY account_id) ORDER BY seq"
        )
        return [_pending(row) for row in rows]

    def stuck_sales(self) -> list[StuckSale]:
        """Sales still queued that the service keeps failing with the same 5xx, oldest first."""
        rows = self._read(
            "SELECT sale_id, account_id, last_status, attempts, last_error FROM outbox"
            " WHERE state = 'pending' AND status_streak >= ? ORDER BY seq",
            (STUCK_AFTER,),
        )
        return [StuckSale(r["sale_id"], r["account_id"], r["last_status"], r["attempts"], r["last_error"] or "")
                for r in rows]

    def stuck_count(self) -> int:
        return int(self._read(
            "SELECT COUNT(*) FROM outbox WHERE state = 'pending' AND status_streak >= ?", (STUCK_AFTER,)
        )[0][0])

    def pending_count(self) -> int:
        return int(self._read("SELECT COUNT(*) FROM outbox WHERE state = 'pending'")[0][0])

    def pending_points(self, account_id: str) -> int:
        """Points this till expects for the customer from sales the service has not confirmed."""
        rows = self._read(
            "SELECT COALESCE(SUM(points_expected), 0) FROM outbox WHERE state = 'pending' AND account_id = ?",
            (account_id,),
        )
        return int(rows[0][0])

    def set_aside_sales(self) -> list[SetAsideSale]:
        rows = self._read("SELECT sale_id, account_id, last_error FROM outbox WHERE state = 'set_aside' ORDER BY seq")
        return [SetAsideSale(r["sale_id"], r["account_id"], r["last_error"] or "") for r in rows]

    def loyalty_answer(self, sale_id: str) -> dict[str, Any] | None:
        rows = self._read("SELECT loyalty_answer FROM completed_sales WHERE sale_id = ?", (sale_id,))
        return json.loads(rows[0][0]) if rows and rows[0][0] else None

    def is_recorded(self, sale_id: str) -> bool:
        return bool(self._read("SELECT 1 FROM completed_sales WHERE sale_id = ?", (sale_id,)))

    def integrity_ok(self) -> bool:
        return self._read("PRAGMA integrity_check")[0][0] == "ok"


def next_streak(last_status: int | None, streak: int, status: int | None) -> int:
    """The same-5xx streak after one more failed attempt answered with ``status``.

    Not reaching the service (None) leaves it as it was: when the service is away every sale
    waits, and none of them is to blame. Any answer that is not a 5xx ends it.
    """
    if status is None:
        return streak
    if status < 500:
        return 0
    return streak + 1 if status == last_status else 1


_PENDING_COLUMNS = "sale_id, account_id, body, points_expected, attempts, last_error, last_status, status_streak"


def _pending(row: sqlite3.Row) -> PendingSale:
    try:
        body = json.loads(row["body"])
    except ValueError:
        raise OutboxError(f"the till's sales file holds an unreadable sale ({row['sale_id']})") from None
    return PendingSale(
        sale_id=row["sale_id"],
        account_id=row["account_id"],
        body=body,
        points_expected=row["points_expected"],
        attempts=row["attempts"],
        last_error=row["last_error"],
        last_status=row["last_status"],
        status_streak=row["status_streak"],
    )


def _add_missing_columns(conn: sqlite3.Connection) -> None:
    have = {row[1] for row in conn.execute("PRAGMA table_info(outbox)")}
    for name, definition in _ADDED_COLUMNS:
        if name not in have:
            conn.execute(f"ALTER TABLE outbox ADD COLUMN {name} {definition}")


def _plain(error: sqlite3.Error) -> str:
    text = str(error)
    if "full" in text:
        return "the till's disk is full: the sale could not be saved"
    if "readonly" in text or "read-only" in text:
        return "the till's sales file is read-only: the sale could not be saved"
    return f"the till could not save the sale ({text})"

