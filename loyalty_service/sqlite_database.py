"""The service on one SQLite file: a store on one machine.

WAL with synchronous=FULL: a sale the service has answered for survives a power cut. Writes run
in BEGIN IMMEDIATE, which takes the file's one write lock, so writers are served one at a time.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from loyalty_service.database import DatabaseError, Dialect, IntegrityError
from loyalty_service.schema import ADDED_COLUMNS, SCHEMA, SCHEMA_VERSION


class SqliteConnection:
    dialect: Dialect = "sqlite"

    def __init__(self, raw: sqlite3.Connection) -> None:
        self.raw = raw

    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        try:
            return self.raw.execute(sql, params)
        except sqlite3.IntegrityError as error:
            raise IntegrityError(str(error)) from None

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        try:
            self.raw.executemany(sql, rows)
        except sqlite3.IntegrityError as error:
            raise IntegrityError(str(error)) from None

    @contextmanager
    def write_transaction(self, scope: str | None = None) -> Iterator[None]:
        # The file's one write lock, whatever the scope. A scoped transaction (bookkeeping such as
        # rate-limit counts) commits without an fsync of its own: the WAL is written in order, so
        # the next full commit makes it durable too, and a power cut can cost only the last counts.
        if scope is not None:
            self.raw.execute("PRAGMA synchronous=NORMAL")
        try:
            self.raw.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self.raw.execute("ROLLBACK")
                raise
            self.raw.execute("COMMIT")
        finally:
            if scope is not None:
                self.raw.execute("PRAGMA synchronous=FULL")

    def close(self) -> None:
        self.raw.close()


def connect(path: Path) -> SqliteConnection:
    raw = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    raw.row_factory = sqlite3.Row
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("PRAGMA synchronous=FULL")
    raw.execute("PRAGMA foreign_keys=ON")
    raw.execute("PRAGMA busy_timeout=30000")
    # What is deleted or overwritten (an erased customer, pruned sale lines: privacy.py) is zeroed
    # in the file, not left in free space for a copy of the file to give back.
    raw.execute("PRAGMA secure_delete=ON")
    return SqliteConnection(raw)


class SqliteDatabase:
    dialect: Dialect = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = str(path)
        # One connection held open, idle, from the first use to ``close``: the last connection to
        # close checkpoints the WAL and deletes it, and the next write makes it again. With a
        # connection per use and nothing else open, every write paid for that (measured: an
        # identify 3.3 ms without its rate-limit write, 16 ms with it; with this held, 1.9 and 2.8).
        self._held: SqliteConnection | None = None
        self._holding = threading.Lock()

    @contextmanager
    def connection(self) -> Iterator[SqliteConnection]:
        # A connection per use: opening one costs well under a millisecond, and WAL lets readers
        # run beside the one writer.
        if self._held is None:
            with self._holding:
                if self._held is None:
                    self._held = connect(self.path)
        conn = connect(self.path)
        try:
            yield conn
        finally:
            conn.close()

    def close(self) -> None:
        with self._holding:
            if self._held is not None:
                self._held.close()
                self._held = None

    def create_schema(self) -> None:
        """Make the tables in a new file; refuse a file made by another schema version."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            conn = connect(self.path)
            try:
                raw = conn.raw
                tables = {row["name"] for row in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
                version = None
                if "meta" in tables:
                    row = raw.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
                    version = row["value"] if row else None
                if tables and version != SCHEMA_VERSION:
                    raise DatabaseError(
                        f"{self.path} was made by another version of the service (schema {version or 'unknown'},"
                        f" this one needs {SCHEMA_VERSION}); use another --db file"
                    )
                raw.executescript(SCHEMA)
                _add_columns(raw)
                _widen_ledger_kinds(raw)
                raw.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)", (SCHEMA_VERSION,))
            finally:
                conn.close()
        except sqlite3.DatabaseError as error:
            raise DatabaseError(f"{self.path}: {error}") from None


def _add_columns(conn: sqlite3.Connection) -> None:
    """Columns added since a file was made (schema.ADDED_COLUMNS)."""
    for table, column, definition in ADDED_COLUMNS:
        present = {row["name"] for row in conn.execute(f"PRAGMA table_info({table})")}
        if column not in present:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")


def _widen_ledger_kinds(conn: sqlite3.Connection) -> None:
    """A file made before the ledger knew a kind (e.g. 'adjust') gets the ledger rebuilt with
    today's definition; SQLite cannot alter a CHECK in place. Nothing references the ledger."""
    stored = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'ledger'").fetchone()
    wanted = SCHEMA[SCHEMA.index("CREATE TABLE IF NOT EXISTS ledger"):]
    wanted = wanted[: wanted.index(";")]
    kinds = wanted[wanted.index("kind IN (") : wanted.index(")", wanted.index("kind IN ("))]
    if stored is None or kinds in stored["sql"]:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("ALTER TABLE ledger RENAME TO ledger_before_widening")
        conn.execute("DROP INDEX IF EXISTS ledger_account")
        conn.execute(wanted)
        conn.execute("INSERT INTO ledger SELECT * FROM ledger_before_widening")
        conn.execute("DROP TABLE ledger_before_widening")
        conn.execute("CREATE INDEX IF NOT EXISTS ledger_account ON ledger(account_id)")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
