"""How long the event log (events.py) keeps events: older ones are deleted, hourly, but each
account's latest event stays, so its numbering (``seq``) carries on where it was and a till that
resumes from an old ``Last-Event-ID`` simply gets the newer events.

Tills follow events live, and resume after a dropped link of seconds or minutes; nothing needs
events for long, and a chain's log would otherwise grow with every sale for ever.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from loyalty_service.clock import rfc3339
from loyalty_service.database import Connection, Database, write_transaction
from loyalty_service.hourly_job import run_hourly

DEFAULT_KEEP_DAYS = 30


def prune(conn: Connection, keep_days: int, now: datetime | None = None) -> int:
    """Delete events older than ``keep_days`` but each account's latest; how many went."""
    cutoff = rfc3339((now or datetime.now(UTC)) - timedelta(days=keep_days))
    with write_transaction(conn):
        return conn.execute(
            "DELETE FROM events WHERE created_at < ?"
            " AND id NOT IN (SELECT MAX(id) FROM events GROUP BY account_id)",
            (cutoff,),
        ).rowcount


def keep_pruning(database: Database, keep_days: int, stopping: Callable[[], bool]) -> threading.Thread:
    """Prune now, then hourly (hourly_job.py), until ``stopping()``."""
    return run_hourly(database, "event-retention", lambda conn: prune(conn, keep_days),
                      f"pruned %d events older than {keep_days} days", stopping)
