"""Till keys for the register and kiosk tests: made as `loyalty-service add-key` makes them (in
process, for speed), so the apps are tested on the keys a chain's tills really carry, not only on
the configured key of a demo."""

from __future__ import annotations

from pathlib import Path

from loyalty_service.database import open_database, write_transaction
from loyalty_service.terminal_keys import add_key


def till_key(db: Path | str, store_id: str, terminal_id: str) -> str:
    """A new key bound to the store and terminal, in the service's database (it is running)."""
    database = open_database(db, pool_size=2)
    try:
        with database.connection() as conn, write_transaction(conn):
            _, key = add_key(conn, store_id, terminal_id)
    finally:
        database.close()
    return key
