"""The service's SQLite file: schema, PRAGMAs, and write transactions that serialise.

WAL with synchronous=FULL: a sale the service has answered for survives a power cut.
Every write runs in BEGIN IMMEDIATE, so two tills sending the same sale id at once are
served one after the other and the second sees the first's row.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SCHEMA_VERSION = "1"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (
    account_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    phone TEXT NOT NULL UNIQUE,  -- E.164; one account per number
    created_at TEXT NOT NULL
);
-- What else a customer may carry: card digits, app QR payload, NFC UID (upper-case hex).
CREATE TABLE IF NOT EXISTS identifiers (
    method TEXT NOT NULL CHECK (method IN ('card', 'qr', 'nfc')),
    value TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts(account_id),
    PRIMARY KEY (method, value)
);
CREATE INDEX IF NOT EXISTS identifiers_account ON identifiers(account_id);
CREATE TABLE IF NOT EXISTS consents (
    id INTEGER PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(account_id),
    terms_version TEXT NOT NULL,
    marketing INTEGER NOT NULL,
    recorded_at TEXT NOT NULL,
    store_id TEXT,
    terminal_id TEXT
);
-- One row per points movement; balances are sums over it, never stored apart.
CREATE TABLE IF NOT EXISTS ledger (
    id INTEGER PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(account_id),
    delta INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('opening', 'earn', 'redeem', 'adjust')),
    sale_id TEXT REFERENCES sales(sale_id),
    reward_id TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ledger_account ON ledger(account_id);
CREATE TABLE IF NOT EXISTS sales (
    sale_id TEXT PRIMARY KEY,
    request_hash TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts(account_id),
    store_id TEXT NOT NULL,
    terminal_id TEXT NOT NULL,
    answer TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sales_account ON sales(account_id);
CREATE TABLE IF NOT EXISTS products (
    sku TEXT PRIMARY KEY,
    ean TEXT UNIQUE,
    name TEXT NOT NULL,
    category TEXT NOT NULL,
    unit_price INTEGER NOT NULL CHECK (unit_price >= 0)
);
-- Nonces of app QR tokens already used (qr_tokens.py); a row is pruned once its token has expired.
CREATE TABLE IF NOT EXISTS qr_token_nonces (nonce TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);
-- Rewards reserved by a till (reservations.py): points held, not spent; never ledger rows.
CREATE TABLE IF NOT EXISTS reservations (
    reservation_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(account_id),
    rewards TEXT NOT NULL,  -- JSON list of reward ids
    points INTEGER NOT NULL CHECK (points >= 0),
    store_id TEXT NOT NULL,
    terminal_id TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('held', 'released', 'expired', 'redeemed')),
    created_at TEXT NOT NULL,
    expires_at INTEGER NOT NULL,  -- Unix seconds
    sale_id TEXT  -- the sale that redeemed it
);
CREATE INDEX IF NOT EXISTS reservations_account ON reservations(account_id, status);
-- Returns of a sale's lines (returns.py), once per Idempotency-Key; the answer as given.
CREATE TABLE IF NOT EXISTS sale_returns (
    return_id TEXT PRIMARY KEY,
    sale_id TEXT NOT NULL REFERENCES sales(sale_id),
    request_hash TEXT NOT NULL,
    answer TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sale_returns_sale ON sale_returns(sale_id);
-- Live updates (events.py): one row per change a till may show, numbered per account.
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,  -- the global order, never reused
    account_id TEXT NOT NULL REFERENCES accounts(account_id),
    seq INTEGER NOT NULL,
    type TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (account_id, seq)
);
-- Terminal keys (terminal_keys.py): only a keyed hash of each key, bound to a store and terminal.
CREATE TABLE IF NOT EXISTS terminal_keys (
    key_id TEXT PRIMARY KEY,
    key_hash TEXT NOT NULL UNIQUE,
    store_id TEXT NOT NULL,
    terminal_id TEXT NOT NULL,
    created_at TEXT NOT NULL
);
-- Managers who may adjust points (adjustments.py): a salted scrypt hash of the PIN.
CREATE TABLE IF NOT EXISTS managers (
    manager_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    pin_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
);
-- The audit of manual points adjustments; each also has its ledger row (kind 'adjust').
CREATE TABLE IF NOT EXISTS adjustments (
    adjustment_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(account_id),
    points INTEGER NOT NULL,
    reason TEXT NOT NULL,
    manager TEXT NOT NULL,
    store_id TEXT,
    terminal_id TEXT,
    key_id TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS adjustments_account ON adjustments(account_id);
-- Accounts with unusually many loyalty transactions in a day (activity_flags.py).
CREATE TABLE IF NOT EXISTS account_flags (
    account_id TEXT NOT NULL REFERENCES accounts(account_id),
    day TEXT NOT NULL,
    transactions INTEGER NOT NULL,
    flagged_at TEXT NOT NULL,
    PRIMARY KEY (account_id, day)
);
"""


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


class DatabaseError(RuntimeError):
    """A database file this service cannot use."""


def create_schema(path: Path) -> None:
    """Make the tables in a new file; refuse a file made by another schema version."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = connect(path)
        try:
            tables = {row["name"] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            version = None
            if "meta" in tables:
                row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
                version = row["value"] if row else None
            if tables and version != SCHEMA_VERSION:
                raise DatabaseError(
                    f"{path} was made by another version of the service (schema {version or 'unknown'},"
                    f" this one needs {SCHEMA_VERSION}); use another --db file"
                )
            conn.executescript(SCHEMA)
            _widen_ledger_kinds(conn)
            conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)", (SCHEMA_VERSION,))
        finally:
            conn.close()
    except sqlite3.DatabaseError as error:
        raise DatabaseError(f"{path}: {error}") from None


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


@contextmanager
def write_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE … COMMIT, rolled back on any error."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
