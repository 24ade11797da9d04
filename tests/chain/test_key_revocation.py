"""How a revoked key leaves a process's key cache (loyalty_service/key_cache.py) long before the
5 s a key is remembered: on PostgreSQL by notification, on SQLite by the change marker in ``meta``.
The cache's clock stands still here, so its entries never run out: only the revocation can end them."""

from __future__ import annotations

from pathlib import Path

from loyalty_service.database import open_database, write_transaction
from loyalty_service.key_cache import RECHECK_SECONDS, KeyCache
from loyalty_service.postgres_listener import PostgresListener
from loyalty_service.terminal_keys import KEYS_CHANNEL, add_key, key_hash, pepper, revoke_key
from tests.waiting import wait_until


class StillClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_revocation_elsewhere_empties_the_cache_at_once(service_db: Path | str) -> None:
    database = open_database(service_db, pool_size=2)
    database.create_schema()
    with database.connection() as conn, write_transaction(conn):
        key_id, key = add_key(conn, "store-north", "till-2")
        digest = key_hash(pepper(conn), key)
    clock = StillClock()
    listener = None
    if database.dialect == "postgresql":
        listener = PostgresListener(str(service_db))
        cache = KeyCache(database, notified=lambda: listener.listening, clock=clock)
        listener.on(KEYS_CHANNEL, lambda _key_id: cache.cleared())
        listener.start()
        wait_until(lambda: listener.listening, timeout=10, what="the listener listens")
    else:
        cache = KeyCache(database, clock=clock)
    try:
        assert cache.holder(digest).key_id == key_id
        other = open_database(service_db, pool_size=2)  # another process's revoke-key
        try:
            with other.connection() as conn, write_transaction(conn):
                assert revoke_key(conn, key_id)
        finally:
            other.close()
        if listener is not None:  # notified: no clock needed
            wait_until(lambda: cache.holder(digest) is None, timeout=5, what="the notification clears the cache")
        else:
            clock.now += RECHECK_SECONDS  # the marker is read at most this often
            assert cache.holder(digest) is None
    finally:
        if listener is not None:
            listener.close()
        database.close()
