"""Keys and their roles: the database keeps only HMAC-SHA256(pepper, key). The pepper is 256
random bits made once per database (``meta``), so a copy of the ``terminal_keys`` table alone gives
nobody a key, and a lookup is one indexed query.

Three kinds of key holder (``KeyHolder.role``):

- ``till``: a till or kiosk, bound to one store and terminal (``add-key``). It serves the customers
  at its till: it records sales, returns and enrolments for its own store and terminal only, and
  sees a customer's data only while it is serving them (serving.py).
- ``hq``: head office (``add-key --role hq``), bound to no till: reports, exports, erasure, flags
  and management. It serves no customer at a till.
- ``web``: an online shop (``add-key --role web``), bound to no till: it posts click & collect
  orders and reads them back (orders.py ``WEB_ROUTES``), and nothing else.
- ``manager``: a store manager (``add-key --role manager --store S``), bound to a store but no
  till: it reads that store's reports (report_access.py), and nothing else.
- ``configured``: keys given with ``--api-key-file`` / ``--api-key`` / ``LOYALTY_API_KEYS``, for
  demos and a single store's own service: both of the above, for any store and terminal. They are
  hashed the same way when the service starts and never written down.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from loyalty_service.clock import utc_now
from loyalty_service.database import Connection


ROLES = ("till", "hq", "web", "manager")
MANAGER = "manager"
CONFIGURED = "configured"
# The ``meta`` row a revocation changes, so every service process drops its cached keys (key_cache.py).
REVOCATIONS = "keys_revoked"
KEYS_CHANNEL = "loyalty_keys"  # PostgreSQL: notified on each revocation


@dataclass(frozen=True, slots=True)
class KeyHolder:
    """Who a request's key belongs to. ``store_id``/``terminal_id`` are None but for a till key
    (and ``store_id`` for a store manager's)."""

    key_id: str
    store_id: str | None = None
    terminal_id: str | None = None
    role: str = CONFIGURED

    @property
    def bound(self) -> bool:
        """A till key: its store and terminal are the only ones it may act for."""
        return self.role == "till"

    @property
    def hq(self) -> bool:
        """May do what head office does (reports, exports, erasure, management)."""
        return self.role in ("hq", CONFIGURED)

    @property
    def serves_customers(self) -> bool:
        """May act for a customer at a till (identify, sell, return, enrol)."""
        return self.role in ("till", CONFIGURED)


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


def add_key(conn: Connection, store_id: str, terminal_id: str, role: str = "till") -> tuple[str, str]:
    """A new key: (key_id, the key). A till key is bound to the store and terminal; a store
    manager's to the store (terminal ''); an HQ or web key takes '' for both. The key is shown once."""
    if role not in ROLES:
        raise ValueError(f"a key's role is one of {', '.join(ROLES)}")
    key = "lk_" + secrets.token_urlsafe(32)
    key_id = "key_" + secrets.token_hex(6)
    conn.execute(
        "INSERT INTO terminal_keys (key_id, key_hash, store_id, terminal_id, created_at, role)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (key_id, key_hash(pepper(conn), key), store_id if role in ("till", MANAGER) else "",
         terminal_id if role == "till" else "", utc_now(), role),
    )
    return key_id, key


def list_keys(conn: Connection) -> list[dict[str, str]]:
    """Every key's id, role, store, terminal and date; never a hash."""
    rows = conn.execute(
        "SELECT key_id, role, store_id, terminal_id, created_at FROM terminal_keys"
        " ORDER BY role, store_id, terminal_id, created_at"
    ).fetchall()
    return [{name: row[name] for name in ("key_id", "role", "store_id", "terminal_id", "created_at")}
            for row in rows]


def revoke_key(conn: Connection, key_id: str) -> bool:
    """Forget a key (a lost or stolen till's); True if there was one. Audit rows keep its id.
    Every service process on the database stops taking it at once (key_cache.py)."""
    if conn.execute("DELETE FROM terminal_keys WHERE key_id = ?", (key_id,)).rowcount == 0:
        return False
    conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                 (REVOCATIONS, secrets.token_hex(8)))
    if conn.dialect == "postgresql":
        conn.execute("SELECT pg_notify(?, ?)", (KEYS_CHANNEL, key_id))  # sent when the transaction commits
    return True


def find_key(conn: Connection, digest: str) -> KeyHolder | None:
    row = conn.execute(
        "SELECT key_id, store_id, terminal_id, role FROM terminal_keys WHERE key_hash = ?", (digest,)
    ).fetchone()
    if row is None:
        return None
    if row["role"] == "till":
        return KeyHolder(key_id=row["key_id"], store_id=row["store_id"], terminal_id=row["terminal_id"], role="till")
    if row["role"] == MANAGER:
        return KeyHolder(key_id=row["key_id"], store_id=row["store_id"], role=MANAGER)
    return KeyHolder(key_id=row["key_id"], role=row["role"])


def unbound_keys(secret_pepper: bytes, keys: list[str]) -> dict[str, KeyHolder]:
    """The configured keys, by hash; each one's id is a short prefix of its hash (not the key)."""
    holders = {}
    for key in keys:
        digest = key_hash(secret_pepper, key)
        holders[digest] = KeyHolder(key_id="cfg_" + digest[:12], role=CONFIGURED)
    return holders
