"""Accounts with more loyalty transactions in a day than a chain expects are flagged for a
manager to look at (``--flag-transactions-per-day``, ``GET /v1/flags``).

A loyalty transaction is a recorded sale or a manual points adjustment; a day is a UTC date.
An account is flagged once a day, when it first goes over the limit, with an ``account_flagged``
event. Flagging never refuses anything: the sale that went over is recorded as usual.
"""

from __future__ import annotations

from pydantic import BaseModel

from loyalty_service.clock import utc_now
from loyalty_service.database import Connection
from loyalty_service.events import record_event
from loyalty_service.points_review import HeldPoints

DEFAULT_TRANSACTIONS_PER_DAY = 20


class Flag(BaseModel):
    account_id: str
    day: str
    transactions: int
    flagged_at: str


class Flags(BaseModel):
    flags: list[Flag]
    held_points: list[HeldPoints] = []  # sales whose points wait for review (points_review.py)


def transactions_on(conn: Connection, account_id: str, day: str) -> int:
    # The day's stamps ('2026-03-01T09:30:00Z') as a range, so the sales are counted from the
    # (account_id, created_at) index, not by reading every sale the account ever had.
    start, end = day + "T", day + "U"
    row = conn.execute(
        "SELECT (SELECT COUNT(*) FROM sales WHERE account_id = ? AND created_at >= ? AND created_at < ?)"
        " + (SELECT COUNT(*) FROM adjustments WHERE account_id = ? AND created_at >= ? AND created_at < ?) AS n",
        (account_id, start, end, account_id, start, end),
    ).fetchone()
    return int(row["n"])


def note_transaction(conn: Connection, account_id: str, limit: int) -> bool:
    """After a loyalty transaction, inside its write transaction: flag the account when today's
    count is over ``limit`` (0: never). True when it was flagged just now."""
    if limit <= 0:
        return False
    stamp = utc_now()
    day = stamp[:10]
    count = transactions_on(conn, account_id, day)
    if count <= limit:
        return False
    inserted = conn.execute(
        "INSERT INTO account_flags (account_id, day, transactions, flagged_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT DO NOTHING",
        (account_id, day, count, stamp),
    ).rowcount
    if not inserted:
        conn.execute("UPDATE account_flags SET transactions = ? WHERE account_id = ? AND day = ?",
                     (count, account_id, day))
        return False
    record_event(conn, account_id, "account_flagged", {"day": day, "transactions": count, "limit": limit})
    return True


def list_flags(conn: Connection, day: str | None, limit: int) -> Flags:
    if day:
        rows = conn.execute(
            "SELECT * FROM account_flags WHERE day = ? ORDER BY flagged_at DESC LIMIT ?", (day, limit)
        ).fetchall()
    else:
        rows = conn.execute("SELECT * FROM account_flags ORDER BY flagged_at DESC LIMIT ?", (limit,)).fetchall()
    return Flags(flags=[Flag(**dict(row)) for row in rows])
