"""Terminal keys: the database keeps only HMAC-SHA256(pepper, key), each bound to a store and a
terminal. The pepper is 256 random bits made once per database (``meta``), so a copy of the
``terminal_keys`` table alone gives nobody a key, and a lookup is one indexed query.

Keys given with ``--api-key`` / ``LOYALTY_API_KEYS`` are unbound (any store, any terminal): they
are hashed the same way when the service starts and never written down.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from loyalty_service.clock import utc_now
from loyalty_service.database import Connection


@dataclass(frozen=True, slots=True)
class KeyHolder:
    """Who a request's key belongs to. ``store_id``/``terminal_id`` are None for an unbound key."""

    key_id: str
    store_id: str | None = None
    terminal_id: str | None = None

    @property
    def bound(self) -> bool:
        return self.store_id is not None


def pepper(conn: Connection) -> bytes:
    """This database's key pepper, made on first use (call where a write is allowed)."""
    row = conn.execute("SELECT value FROM meta WHERE key = 'key_pepper'").fetchone()
    if row is None:
        conn.execute("INSERT INTO meta (key, value) VALUES ('key_pepper', ?) ON CONFLICT DO NOTHING",
                     (secrets.token_hex(32),))
        row = conn.execute("SELECT value FROM meta WHERE key = 'key_pepper'").fetchone()
    return bytes.fromhex(row["value"])


def key_hash(secret_pepper: bytes, key: str) -> str:
    return hmac.new(secret_pepper, key.encode(), hashlib.sha256).hexdigest()


def add_key(conn: Connection, store_id: str, terminal_id: str) -> tuple[str, str]:
    """A new key bound to the store and terminal: (key_id, the key). The key is shown once."""
    key = "lk_" + secrets.token_urlsafe(32)
    key_id = "key_" + secrets.token_hex(6)
    conn.execute(
        "INSERT INTO terminal_keys (key_id, key_hash, store_id, terminal_id, created_at) VALUES (?, ?, ?, ?, ?)",
        (key_id, key_hash(pepper(conn), key), store_id, terminal_id, utc_now()),
    )
    return key_id, key


def list_keys(conn: Connection) -> list[dict[str, str]]:
    """Every terminal key's id, store, terminal and date; never a hash."""
    rows = conn.execute(
        "SELECT key_id, store_id, terminal_id, created_at FROM terminal_keys ORDER BY store_id, terminal_id, created_at"
    ).fetchall()
    return [{name: row[name] for name in ("key_id", "store_id", "terminal_id", "created_at")} for row in rows]


def revoke_key(conn: Connection, key_id: str) -> bool:
    """Forget a key (a lost or stolen till's); True if there was one. Audit rows keep its id."""
    return conn.execute("DELETE FROM terminal_keys WHERE key_id = ?", (key_id,)).rowcount > 0


def find_key(conn: Connection, digest: str) -> KeyHolder | None:
    row = conn.execute(
        "SELECT key_id, store_id, terminal_id FROM terminal_keys WHERE key_hash = ?", (digest,)
    ).fetchone()
    if row is None:
        return None
    return KeyHolder(key_id=row["key_id"], store_id=row["store_id"], terminal_id=row["terminal_id"])


def unbound_keys(secret_pepper: bytes, keys: list[str]) -> dict[str, KeyHolder]:
    """The configured keys, by hash; each one's id is a short prefix of its hash (not the key)."""
    holders = {}
    for key in keys:
        digest = key_hash(secret_pepper, key)
        holders[digest] = KeyHolder(key_id="cfg_" + digest[:12])
    return holders
