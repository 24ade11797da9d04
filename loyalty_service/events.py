"""Live updates: every change a till may show is an event row, written in the same transaction
as the change, and streamed to tills as server-sent events by ``GET /v1/events``.

For other modules (reservations, returns, ...): after a ledger write, inside the same write
transaction, call

    record_event(conn, account_id, "balance_changed", {"balance": ..., "delta": ..., "cause": ...})

or, simpler, take ``before = points(conn, account_id)`` before the write and call
``account_changed(conn, program, account_id, before, {"cause": "return", ...})`` after it: it
records ``balance_changed`` and, when they follow, ``tier_changed`` and ``reward_issued``.

Each account's events are numbered 1, 2, 3, ... (``seq``); the table's ``id`` orders all events.
A stream names its events ``<account_id>:<seq>`` when it follows one account, else by ``id``, so
``Last-Event-ID`` resumes exactly after the last one the till saw. A stream reads the table in
bounded batches, the same on SQLite and PostgreSQL, with a connection borrowed for each, so open
streams hold no connection while they wait; between batches it waits on the process's one
watcher (event_watch.py), which polls every 0.2 s and wakes only the streams with news.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

from loyalty_service.accounts import next_reward, points
from loyalty_service.clock import utc_now
from loyalty_service.database import Connection, Database, Row
from loyalty_service.errors import ApiError
from loyalty_service.event_watch import EventWatch
from loyalty_service.program import Program

BATCH = 100
# How often a waiting stream looks whether its client has gone or a keep-alive is due.
CHECK_SECONDS = 1.0
RETRY_MS = 2000  # the reconnection delay suggested to clients

EVENT_TYPES = ("enrolled", "balance_changed", "tier_changed", "reward_issued", "account_flagged")


def record_event(conn: Connection, account_id: str, type: str, data: Mapping[str, Any]) -> int:
    """Add an event for the account; returns its per-account ``seq``. Call inside the write
    transaction that made the change (BEGIN IMMEDIATE serialises writers, so seq cannot repeat).
    One statement, numbering and inserting (one round trip on PostgreSQL)."""
    row = conn.execute(
        "INSERT INTO events (account_id, seq, type, data, created_at)"
        " VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE account_id = ?), ?, ?, ?) RETURNING seq",
        (account_id, account_id, type, json.dumps(dict(data), separators=(",", ":")), utc_now()),
    ).fetchone()
    return int(row["seq"])


def account_changed(
    conn: Connection,
    program: Program,
    account_id: str,
    before: tuple[int, int],
    cause: Mapping[str, Any],
    *,
    after: tuple[int, int] | None = None,
) -> None:
    """Record what changed since ``before`` (balance, lifetime) as events: the balance, the tier,
    and rewards the balance newly pays for. Nothing when nothing changed. ``after``: the two now,
    when the caller knows them (else they are read from the ledger)."""
    old_balance, old_lifetime = before
    balance, lifetime = after if after is not None else points(conn, account_id)
    if balance != old_balance:
        upcoming = next_reward(program, balance)
        record_event(conn, account_id, "balance_changed", {
            **cause, "balance": balance, "delta": balance - old_balance,
            "next_reward": upcoming.reward_id if upcoming else None,
        })
    old_tier, _ = program.tier_for(old_lifetime)
    tier, _ = program.tier_for(lifetime)
    if tier.name != old_tier.name:
        record_event(conn, account_id, "tier_changed", {**cause, "tier": tier.name, "previous": old_tier.name})
    newly = [r.reward_id for r in program.rewards if old_balance < r.cost <= balance]
    if newly:
        record_event(conn, account_id, "reward_issued", {**cause, "rewards": newly, "balance": balance})


# ---- the stream ----------------------------------------------------------------------------


def parse_last_event_id(value: str | None, account_id: str | None) -> tuple[str, int] | None:
    """("seq", n) to resume after an account's n-th event, ("id", n) after global event n;
    None without one (the stream then starts with the next event: see ``latest``)."""
    if not value or not value.strip():
        return None
    text = value.strip()
    head, sep, tail = text.rpartition(":")
    try:
        if sep:
            if account_id is None or head != account_id:
                raise ValueError
            return "seq", max(0, int(tail))
        return "id", max(0, int(text))
    except ValueError:
        raise ApiError(422, "invalid_request", "Last-Event-ID is not an id this stream gave.") from None


def latest(database: Database, account_id: str | None) -> tuple[str, int] | None:
    """Where a new stream starts: after the latest event (the account's, or any); None when the
    account does not exist."""
    with database.connection() as conn:
        if account_id is None:
            return "id", int(conn.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()[0])
        if conn.execute("SELECT 1 FROM accounts WHERE account_id = ?", (account_id,)).fetchone() is None:
            return None
        row = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM events WHERE account_id = ?", (account_id,)).fetchone()
        return "seq", int(row[0])


def _batch(database: Database, account_id: str | None, after: tuple[str, int]) -> list[Row]:
    column, position = after
    with database.connection() as conn:
        if account_id is None:
            return conn.execute(
                "SELECT id, account_id, seq, type, data, created_at FROM events WHERE id > ? ORDER BY id LIMIT ?",
                (position, BATCH),
            ).fetchall()
        return conn.execute(
            f"SELECT id, account_id, seq, type, data, created_at FROM events"
            f" WHERE account_id = ? AND {column} > ? ORDER BY id LIMIT ?",
            (account_id, position, BATCH),
        ).fetchall()


def _frame(row: Row, account_id: str | None) -> str:
    event_id = f"{row['account_id']}:{row['seq']}" if account_id is not None else str(row["id"])
    data = {"account_id": row["account_id"], "seq": row["seq"], "type": row["type"],
            "created_at": row["created_at"], **json.loads(row["data"])}
    return f"id: {event_id}\nevent: {row['type']}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


async def stream(
    database: Database,
    account_id: str | None,
    after: tuple[str, int],
    *,
    watch: EventWatch,
    disconnected: Callable[[], Any],
    stopping: Callable[[], bool],
    keepalive_seconds: float,
) -> AsyncIterator[str]:
    """Server-sent events after ``after``, until the client goes or the service stops.

    The first frame has no data; its ``id`` is where the stream starts, so a client that loses
    the link before any event arrives still resumes from there. Between batches the stream waits
    on ``watch`` (event_watch.py), which wakes it only when an event it may want has come."""
    column, position = after
    start_id = f"{account_id}:{position}" if account_id is not None and column == "seq" else str(position)
    yield f"retry: {RETRY_MS}\nid: {start_id}\n\n"
    loop = asyncio.get_running_loop()
    last_sent = loop.time()
    seen = await watch.newest()
    look = True  # the first batch catches up from Last-Event-ID
    while not stopping():
        if look:
            rows = await asyncio.to_thread(_batch, database, account_id, after)
            for row in rows:
                yield _frame(row, account_id)
                after = ("id", row["id"]) if account_id is None or after[0] == "id" else ("seq", row["seq"])
            if rows:
                last_sent = loop.time()
                if len(rows) == BATCH:
                    continue  # more are waiting
        if loop.time() - last_sent >= keepalive_seconds:
            yield ": keep-alive\n\n"
            last_sent = loop.time()
        if await disconnected():
            return
        until_keepalive = keepalive_seconds - (loop.time() - last_sent)
        look, seen = await watch.wait(account_id, seen, max(0.0, min(until_keepalive, CHECK_SECONDS)))
