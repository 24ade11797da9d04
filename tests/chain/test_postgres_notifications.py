"""PostgreSQL's notifications between service processes (loyalty_service/postgres_listener.py):
an event written on another connection (another process's, another host's) wakes this process's
event watch by notification alone, and the listener comes back by itself when its connection is
cut. The watch here polls only once a minute, so nothing but a notification can wake it in time."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from loyalty_service.database import Database, open_database, write_transaction
from loyalty_service.demo_store import seed
from loyalty_service.event_watch import EventWatch
from loyalty_service.events import record_event
from loyalty_service.postgres_listener import EVENTS_CHANNEL, PostgresListener
from loyalty_service.program import load_program
from tests.postgres_server import PostgresServer
from tests.service.api_calls import ALICE_ID
from tests.waiting import wait_until

NO_POLL_SECONDS = 60.0
WAKE_WITHIN = 10.0  # far below the poll, far above a notification's few milliseconds


@pytest.fixture
def database(postgres: PostgresServer) -> Iterator[tuple[Database, str]]:
    url = postgres.create_database(f"t_{uuid.uuid4().hex[:16]}")
    database = open_database(url, pool_size=2)
    database.create_schema()
    with database.connection() as conn, write_transaction(conn):
        seed(conn, load_program())
    try:
        yield database, url
    finally:
        database.close()


def listener_pid(url: str) -> int | None:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT pid FROM pg_stat_activity WHERE application_name = 'loyalty-service-listener'"
                           " AND datname = current_database()").fetchone()
    return row[0] if row else None


def test_an_event_from_another_connection_wakes_the_watch_and_the_listener_reconnects(
    database: tuple[Database, str],
) -> None:
    db, url = database
    listener = PostgresListener(url)
    watch = EventWatch(db, stopping=lambda: False, poll_seconds=NO_POLL_SECONDS)
    listener.on(EVENTS_CHANNEL, lambda _payload: watch.notified())
    listener.start()

    def write() -> None:  # as another process would: its own connection
        writer = open_database(url, pool_size=2)
        try:
            with writer.connection() as conn, write_transaction(conn):
                record_event(conn, ALICE_ID, "balance_changed", {"balance": 1, "delta": 1})
        finally:
            writer.close()

    async def woken_by(newest: int) -> int:
        """Wait for an event after ``newest`` written once the wait has begun; its id."""
        waiting = asyncio.ensure_future(watch.wait(ALICE_ID, newest, timeout=WAKE_WITHIN))
        await asyncio.sleep(0)  # let the wait register before the write
        await asyncio.to_thread(write)
        woken, newer = await waiting
        assert woken and newer > newest, "not woken by the notification"
        return newer

    async def scenario() -> None:
        newest = await watch.newest()
        newest = await woken_by(newest)  # the first wait also looks once, itself
        newest = await woken_by(newest)  # the watch is in its minute's pause now: only NOTIFY wakes it
        before = listener_pid(url)
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (before,))
        await asyncio.to_thread(wait_until, lambda: listener.listening and listener_pid(url) not in (None, before),
                                timeout=10, what="the listener reconnects")
        await woken_by(newest)

    try:
        wait_until(lambda: listener.listening, timeout=10, what="the listener listens")
        asyncio.run(scenario())
    finally:
        listener.close()
