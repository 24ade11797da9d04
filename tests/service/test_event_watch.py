"""The one event watcher of a service process (event_watch.py), on each database: a waiting
stream is woken by an event it may want, not by another account's, and never misses one that came
between its last look and its wait."""

from __future__ import annotations

import asyncio
from pathlib import Path

from loyalty_service.database import open_database, write_transaction
from loyalty_service.event_watch import EventWatch
from loyalty_service.events import record_event


def test_streams_are_woken_only_for_what_they_follow_and_miss_nothing(service_db: Path | str) -> None:
    database = open_database(service_db)
    database.create_schema()
    try:
        with database.connection() as conn, write_transaction(conn):
            for account, phone in (("acc_a", "+442079460001"), ("acc_b", "+442079460002")):
                conn.execute("INSERT INTO accounts (account_id, name, phone, created_at) VALUES (?, ?, ?, ?)",
                             (account, "Test Person", phone, "2026-12-01T00:00:00Z"))

        def event(account: str) -> None:
            with database.connection() as conn, write_transaction(conn):
                record_event(conn, account, "balance_changed", {"balance": 1})

        async def scenario() -> None:
            watch = EventWatch(database, stopping=lambda: False, poll_seconds=0.02)
            seen = await watch.newest()
            # B's event wakes the stream following every account, not the one following A.
            following_a = asyncio.create_task(watch.wait("acc_a", seen, timeout=1.0))
            following_all = asyncio.create_task(watch.wait(None, seen, timeout=30.0))
            await asyncio.sleep(0)  # both are waiting
            await asyncio.to_thread(event, "acc_b")
            woken, newest = await following_all
            assert woken and newest > seen
            assert await following_a == (False, newest)
            # A's event, seen by the watcher before A's stream waits again: it is woken at once.
            await asyncio.to_thread(event, "acc_a")
            woken, newer = await watch.wait(None, newest, timeout=30.0)
            assert woken and newer > newest
            assert await asyncio.wait_for(watch.wait("acc_a", newest, timeout=30.0), 5.0) == (True, newer)
            # Nothing new since: a wait runs out.
            assert await watch.wait("acc_a", newer, timeout=0.2) == (False, newer)

        asyncio.run(scenario())
    finally:
        database.close()
