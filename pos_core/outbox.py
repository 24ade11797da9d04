"""The till's own record of completed sales and returns and the loyalty outbox, in one SQLite file.

A completed sale and its loyalty transaction are written in ONE transaction (WAL,
synchronous=FULL) before the cashier is told "done": whatever happens to the network or the
process afterwards, the sale is on disk with its id, and the sender delivers it later. A sale
leaves the outbox only when the service has confirmed it. This file is never thrown away or
rebuilt (unlike the customer cache); if it cannot be written, the sale is not done.

A return is kept the same way: a row of ``completed_sales`` under the return's id (its journal
says ``"kind": "return"`` and which sale; its total is minus the refund the till gave), and an
outbox row of kind ``return`` whose body is the ``POST /v1/sales/{sale_id}/returns`` body. It
queues with the customer's sales, in order. A manager's PIN is never written here.

A sale without a customer is queued too (kind ``anonymous``, the ``POST /v1/anonymous-sales``
body), so the service counts it. It has no customer to wait behind: its outbox ``account_id`` is
``anon:`` and its own id, a line of one, never a real account's.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
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
    status_streak INTEGER NOT NULL DEFAULT 0,  -- 5xx answers in a row with that same status
    kind TEXT NOT NULL DEFAULT 'sale',  -- 'sale', 'return' or 'anonymous'
    return_of TEXT                  -- a return's sale id (its own id is sale_id)
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
    ("kind", "TEXT NOT NULL DEFAULT 'sale'"),
    ("return_of", "TEXT"),
)

# After this many attempts in a row answered with the same 5xx status, a sale is "stuck": the
# service keeps failing on this sale in particular. It stays queued and is still retried.
STUCK_AFTER = 5

ANONYMOUS = "anonymous"  # the kind of a sale without a customer
ANONYMOUS_LINE = "anon:"  # its outbox account_id: this and its sale id


class OutboxError(RuntimeError):
    """The till could not save a sale (disk full, read-only, damaged file)."""


class OutboxDamaged(OutboxError):
    """The sales file is not a sound SQLite database (open_outbox moves it aside)."""


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
    kind: str = "sale"  # "return": sale_id is the return's id, return_of the sale's; or ANONYMOUS
    return_of: str | None = None

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
            kind = OutboxDamaged if is_damage(error) else OutboxError
            raise kind(f"cannot open the till's sales file {path}: {error}") from None

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
                    # SQLite may have rolled back already (a full disk does): no second error
                    # may hide the first.
                    if self._conn.in_transaction:
                        self._conn.execute("ROLLBACK")
                    raise
                self._conn.execute("COMMIT")
            except sqlite3.Error as error:
                if self._conn.in_transaction:
                    with suppress(sqlite3.Error):
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
        kind: str = "sale",
    ) -> bool:
        """Mark the sale complete and queue its loyalty transaction, atomically. ``kind``
        ANONYMOUS: ``body`` is a sale without a customer (account_id: None).

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
                line = ANONYMOUS_LINE + sale_id if kind == ANONYMOUS else body["account_id"]
                conn.execute(
                    "INSERT INTO outbox (sale_id, account_id, body, points_expected, kind) VALUES (?, ?, ?, ?, ?)",
                    (sale_id, line, json.dumps(body, separators=(",", ":")), points_expected, kind),
                )
        return True

    def record_return(
        self,
        return_id: str,
        *,
        sale_id: str,
        account_id: str,
        completed_at: str,
        refund: int,
        journal: Mapping[str, Any],
        body: Mapping[str, Any],
    ) -> bool:
        """Keep the return in the till's records and queue it, atomically; False (and nothing
        changed) when this return id is recorded already."""
        with self._transaction() as conn:
            if conn.execute("SELECT 1 FROM completed_sales WHERE sale_id = ?", (return_id,)).fetchone():
                return False
            conn.execute(
                "INSERT INTO completed_sales (sale_id, completed_at, account_id, total, journal) VALUES (?, ?, ?, ?, ?)",
                (return_id, completed_at, account_id, -refund,
                 json.dumps({**journal, "kind": "return", "sale_id": sale_id}, separators=(",", ":"))),
            )
            conn.execute(
                "INSERT INTO outbox (sale_id, account_id, body, points_expected, kind, return_of)"
                " VALUES (?, ?, ?, 0, 'return', ?)",
                (return_id, account_id, json.dumps(body, separators=(",", ":")), sale_id),
            )
        return True

    def withdraw(self, return_id: str, reason: str) -> None:
        """The service refused a return while the cashier waited on it, so nothing was refunded:
        it leaves the queue, and the till's record says why it was not made."""
        with self._transaction() as conn:
            conn.execute("DELETE FROM outbox WHERE sale_id = ? AND kind = 'return'", (return_id,))
            conn.execute("UPDATE completed_sales SET loyalty_answer = ? WHERE sale_id = ?",
                         (json.dumps({"refused": reason}, separators=(",", ":")), return_id))

    def confirm(self, sale_id: str, answer: Mapping[str, Any]) -> None:
        """The service has the sale: keep its answer, take it off the outbox.

        Committed with synchronous=FULL like every other write: the setting belongs to the one
        connection every thread shares, so lowering it here, even briefly, would also lower it
        for a sale the cashier records at the same moment.
        """
        self.confirm_many([(sale_id, answer)])

    def confirm_many(self, answers: list[tuple[str, Mapping[str, Any]]]) -> None:
        """``confirm`` for each (sale id, answer), in one transaction (one fsync): a batch's sales."""
        with self._transaction() as conn:
            conn.executemany(
                "UPDATE completed_sales SET loyalty_answer = ? WHERE sale_id = ?",
                [(json.dumps(answer, separators=(",", ":")), sale_id) for sale_id, answer in answers],
            )
            conn.executemany("DELETE FROM outbox WHERE sale_id = ?", [(sale_id,) for sale_id, _ in answers])

    def retry_later(self, sale_id: str, error: str, *, status: int | None = None) -> int:
        """An attempt failed: count it, keep why. ``status`` is the HTTP status when the service
        (or a proxy) answered, None when it could not be reached. Returns the sale's streak of
        the same 5xx in a row (STUCK_AFTER or more: the sale is stuck)."""
        return self.retry_later_many([sale_id], error, status=status)[0]

    def retry_later_many(self, sale_ids: list[str], error: str, *, status: int | None = None) -> list[int]:
        """``retry_later`` for each sale, in one transaction (a batch that got no answer)."""
        streaks = []
        with self._transaction() as conn:
            for sale_id in sale_ids:
                row = conn.execute(
                    "SELECT last_status, status_streak FROM outbox WHERE sale_id = ?", (sale_id,)
                ).fetchone()
                if row is None:
                    streaks.append(0)
                    continue
                streak = next_streak(row[0], row[1], status)
                conn.execute(
                    "UPDATE outbox SET attempts = attempts + 1, last_error = ?, last_status = COALESCE(?, last_status),"
                    " status_streak = ? WHERE sale_id = ?",
                    (error, status, streak, sale_id),
                )
                streaks.append(streak)
        return streaks

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

    def pending_runs(self, account_ids: list[str], limit: int) -> list[PendingSale]:
        """What may go in one batch: each account's oldest pending sales, in order, up to (not
        including) its first return, which waits for them; at most ``limit`` in all, the
        accounts filled in the order given."""
        runs: list[PendingSale] = []
        for account_id in account_ids:
            if len(runs) >= limit:
                break
            rows = self._read(
                f"SELECT {_PENDING_COLUMNS} FROM outbox WHERE state = 'pending' AND account_id = ? ORDER BY seq LIMIT ?",
                (account_id, limit - len(runs)),
            )
            for row in rows:
                if row["kind"] != "sale":
                    break
                runs.append(_pending(row))
        return runs

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

    def pending_accounts(self) -> frozenset[str]:
        """The customers with a sale the service has not confirmed yet."""
        return frozenset(row[0] for row in self._read(
            "SELECT DISTINCT account_id FROM outbox WHERE state = 'pending' AND account_id IS NOT NULL"))

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

    def completed(self, sale_id: str) -> dict[str, Any] | None:
        """A sale (or return) this till recorded: completed_at, account_id, total, journal and
        the service's answer (None until confirmed)."""
        rows = self._read("SELECT completed_at, account_id, total, journal, loyalty_answer FROM completed_sales"
                          " WHERE sale_id = ?", (sale_id,))
        if not rows:
            return None
        row = rows[0]
        return {"completed_at": row["completed_at"], "account_id": row["account_id"], "total": row["total"],
                "journal": json.loads(row["journal"]),
                "answer": json.loads(row["loyalty_answer"]) if row["loyalty_answer"] else None}

    def unconfirmed_returns(self, sale_id: str) -> list[dict[str, Any]]:
        """The journals of this till's returns of ``sale_id`` still waiting for the service."""
        rows = self._read(
            "SELECT c.journal FROM outbox o JOIN completed_sales c ON c.sale_id = o.sale_id"
            " WHERE o.kind = 'return' AND o.return_of = ? AND o.state = 'pending' ORDER BY o.seq",
            (sale_id,),
        )
        return [json.loads(row["journal"]) for row in rows]

    def is_recorded(self, sale_id: str) -> bool:
        return bool(self._read("SELECT 1 FROM completed_sales WHERE sale_id = ?", (sale_id,)))

    def integrity_ok(self) -> bool:
        return self._read("PRAGMA integrity_check")[0][0] == "ok"


# -- opening at start ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OpenedOutbox:
    """The outbox the till sells with, and whether a damaged one had to be moved aside first."""

    outbox: Outbox
    moved_aside: Path | None = None  # the damaged file, renamed beside the new one (never deleted)
    problem: str | None = None  # what the check found, in SQLite's words

    @property
    def notice(self) -> str | None:
        """What the supervisor is told on screen, or None when the file was sound."""
        if self.moved_aside is None:
            return None
        return (
            f"The till's sales file was damaged. It was kept as {self.moved_aside.name} and a new one"
            " started, so selling goes on. Sales and returns in the damaged file that had not reached the"
            f" loyalty service yet are sent by: cashier-tui recover-outbox {self.moved_aside}"
        )


def open_outbox(path: Path, *, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> OpenedOutbox:
    """Open the till's sales file for selling, checked first (``PRAGMA quick_check``).

    A damaged file (not a database, or failing the check) is moved aside with its -wal and -shm
    as ``<name>.damaged-<UTC time>.db`` and a fresh one is opened. Any other failure (read-only,
    disk full, no permission) raises OutboxError: nothing is moved for those.
    """
    problem = check_file(path)
    if problem is None:
        try:
            return OpenedOutbox(Outbox(path))
        except OutboxDamaged as error:  # damage the read-only check could not see
            problem = str(error)
    moved = move_aside(path, now())  # before the fresh file is made in its place
    return OpenedOutbox(Outbox(path), moved, problem)


def connect_read_only(path: Path) -> sqlite3.Connection:
    """The file opened so that SQLite neither writes, checkpoints nor deletes anything of it."""
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)


def check_file(path: Path) -> str | None:
    """None when the file is sound (or not there yet), else what is wrong with it.

    Read-only, so SQLite neither checkpoints nor deletes anything of a damaged file's WAL.
    """
    if not path.exists() or path.stat().st_size == 0:
        return None
    try:
        with closing(connect_read_only(path)) as conn:
            rows = conn.execute("PRAGMA quick_check").fetchall()
    except sqlite3.Error as error:
        return str(error) if is_damage(error) else None  # not damage: Outbox() will say what it is
    found = [row[0] for row in rows]
    return None if found == ["ok"] else "; ".join(found[:5])


def move_aside(path: Path, when: datetime) -> Path:
    """Rename the file and its -wal/-shm to a free ``<stem>.damaged-<UTC time>.db`` beside it."""
    stamp = when.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.stem}.damaged-{stamp}{path.suffix}")
    n = 1
    while any(Path(f"{target}{suffix}").exists() for suffix in ("", "-wal", "-shm")):
        n += 1
        target = path.with_name(f"{path.stem}.damaged-{stamp}-{n}{path.suffix}")
    for suffix in ("-wal", "-shm", ""):  # the main file last: while it is there, it is the outbox
        source = Path(f"{path}{suffix}")
        if source.exists():
            os.replace(source, f"{target}{suffix}")
    _sync_directory(path.parent)
    return target


def is_damage(error: sqlite3.Error) -> bool:
    """The file itself is bad (SQLITE_CORRUPT, SQLITE_NOTADB), not the disk or the permissions."""
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (11, 26)
    text = str(error)
    return "malformed" in text or "not a database" in text


def _sync_directory(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


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


_PENDING_COLUMNS = ("sale_id, account_id, body, points_expected, attempts, last_error, last_status, status_streak,"
                    " kind, return_of")


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
        kind=row["kind"],
        return_of=row["return_of"],
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

