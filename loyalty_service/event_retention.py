"""How long the event log (events.py) keeps events: older ones are deleted, hourly, but each
account's latest event stays, so its numbering (``seq``) carries on where it was and a till that
resumes from an old ``Last-Event-ID`` simply gets the newer events.

Tills follow events live, and resume after a dropped link of seconds or minutes; nothing needs
events for long, and a chain's log would otherwise grow with every sale for ever.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from loyalty_service.database import Connection, Database, write_transaction

DEFAULT_KEEP_DAYS = 30
PRUNE_EVERY_SECONDS = 3600.0

log = logging.getLogger("loyalty_service.event_retention")


def prune(conn: Connection, keep_days: int, now: datetime | None = None) -> int:
    """Delete events older than ``keep_days`` but each account's latest; how many went."""
    cutoff = ((now or datetime.now(UTC)) - timedelta(days=keep_days)).isoformat(timespec="seconds")
    cutoff = cutoff.replace("+00:00", "Z")
    with write_transaction(conn):
        return conn.execute(
            "DELETE FROM events WHERE created_at < ?"
            " AND id NOT IN (SELECT MAX(id) FROM events GROUP BY account_id)",
            (cutoff,),
        ).rowcount


def keep_pruning(database: Database, keep_days: int, stopping: Callable[[], bool]) -> threading.Thread:
    """Prune now, then every PRUNE_EVERY_SECONDS, in a thread of its own, until ``stopping()``."""

    def loop() -> None:
        while not stopping():
            try:
                with database.connection() as conn:
                    gone = prune(conn, keep_days)
                if gone:
                    log.info("pruned %d events older than %d days", gone, keep_days)
            except Exception as error:  # noqa: BLE001 - one failed pass must not end the pruning; next hour
                log.warning("could not prune old events: %s", error)
            next_pass = time.monotonic() + PRUNE_EVERY_SECONDS
            while time.monotonic() < next_pass and not stopping():
                time.sleep(1.0)

    thread = threading.Thread(target=loop, name="event-retention", daemon=True)
    thread.start()
    return thread
