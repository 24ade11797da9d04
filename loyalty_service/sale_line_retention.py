"""How long a sale keeps what was bought: after the programme's ``keep_sale_lines_months`` (default
24) a sale's lines and per-line breakdown are removed, hourly, and so are the lines of its returns.

What stays is what the accounts need: the sale's totals, discounts, tender, points earned and
redeemed, and its ledger rows, so balances, tiers measured on spend and idempotent replays are as
before. The answer says ``"lines_removed": "pruned"``; a return of such a sale is refused with
``409 sale_lines_pruned`` (returns.py), since nothing is left to return a line against. Erasing a
customer (privacy.py) removes their sales' lines the same way, as ``"erased"``. A click & collect
order's lines (orders.py) go after the same months, or with the customer.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from loyalty_service import orders
from loyalty_service.clock import rfc3339
from loyalty_service.database import Connection, Database, write_transaction
from loyalty_service.hourly_job import run_hourly

BATCH = 500  # sales per write transaction, so other writers wait a moment at most


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time ``months`` calendar months earlier (the month's last day when shorter)."""
    index = moment.year * 12 + (moment.month - 1) - months
    year, month = divmod(index, 12)
    month += 1
    following = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=moment.tzinfo)
    last_day = (following - datetime(year, month, 1, tzinfo=moment.tzinfo)).days
    return moment.replace(year=year, month=month, day=min(moment.day, last_day))


def strip_lines(conn: Connection, sale_id: str, answer: str, why: str) -> None:
    """Remove the lines of one sale's stored answer, and of its returns' answers; ``why`` is
    "pruned" or "erased". Call inside a write transaction."""
    sale = json.loads(answer)
    sale.update(lines=[], breakdown=[], lines_removed=why)
    conn.execute("UPDATE sales SET answer = ?, lines_removed = ? WHERE sale_id = ?",
                 (json.dumps(sale, separators=(",", ":")), why, sale_id))
    for row in conn.execute("SELECT return_id, answer FROM sale_returns WHERE sale_id = ?", (sale_id,)).fetchall():
        given = json.loads(row["answer"])
        given["lines"] = []
        conn.execute("UPDATE sale_returns SET answer = ? WHERE return_id = ?",
                     (json.dumps(given, separators=(",", ":")), row["return_id"]))


def prune(conn: Connection, keep_months: int, now: datetime | None = None) -> int:
    """Remove the lines of sales (and click & collect orders) older than ``keep_months``; how many
    sales lost them."""
    cutoff = rfc3339(months_before(now or datetime.now(UTC), keep_months))
    while True:
        with write_transaction(conn):
            if orders.prune_lines(conn, cutoff, BATCH) < BATCH:
                break
    pruned = 0
    while True:
        with write_transaction(conn):
            rows = conn.execute(
                "SELECT sale_id, answer FROM sales WHERE created_at < ? AND lines_removed IS NULL LIMIT ?",
                (cutoff, BATCH),
            ).fetchall()
            for row in rows:
                strip_lines(conn, row["sale_id"], row["answer"], "pruned")
        pruned += len(rows)
        if len(rows) < BATCH:
            return pruned


def keep_pruning(database: Database, keep_months: int, stopping: Callable[[], bool]) -> threading.Thread:
    """Prune now, then hourly (hourly_job.py), until ``stopping()``."""
    return run_hourly(database, "sale-line-retention", lambda conn: prune(conn, keep_months),
                      f"removed the lines of %d sales older than {keep_months} months", stopping)
