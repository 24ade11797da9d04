"""Which customers a till is serving: what lets a till key see a customer's data.

A till key (terminal_keys.py) sees a customer's sales, live events and account, and may mint their
app code, only while its till is serving them: the customer was identified or enrolled through
that store and terminal in the last ``SERVING_SECONDS``, or the till holds a live reservation of
theirs. Anything else is ``403 not_serving``. Every identify, enrolment, reservation and sale by
the till starts or extends the window. HQ and configured keys see every customer.

The windows are rows of the database (``serving``), so every service process on the database sees
the same ones.
"""

from __future__ import annotations

import time

from loyalty_service.database import Connection
from loyalty_service.errors import ApiError
from loyalty_service.terminal_keys import KeyHolder

SERVING_SECONDS = 30 * 60


def now() -> int:
    """Unix seconds; the tests move it."""
    return int(time.time())


def note_serving(conn: Connection, holder: KeyHolder, account_id: str) -> None:
    """The till is serving this customer from now for ``SERVING_SECONDS``. Call inside a write
    transaction; nothing for keys that are not a till's."""
    if not holder.bound:
        return
    until = now() + SERVING_SECONDS
    conn.execute(
        "INSERT INTO serving (store_id, terminal_id, account_id, until) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (store_id, terminal_id, account_id) DO UPDATE SET until = excluded.until",
        (holder.store_id, holder.terminal_id, account_id, until),
    )
    # Windows long over are of no use to anyone: the till's own are pruned as it goes.
    conn.execute("DELETE FROM serving WHERE store_id = ? AND terminal_id = ? AND until < ?",
                 (holder.store_id, holder.terminal_id, now() - SERVING_SECONDS))


def serving_until(conn: Connection, holder: KeyHolder, account_id: str) -> int | None:
    """Unix seconds until which the till serves this customer (a window or a live reservation),
    or None when it does not."""
    current = now()
    row = conn.execute(
        "SELECT MAX(until) FROM ("
        " SELECT until FROM serving WHERE store_id = ? AND terminal_id = ? AND account_id = ? AND until > ?"
        " UNION ALL"
        " SELECT expires_at AS until FROM reservations WHERE store_id = ? AND terminal_id = ? AND account_id = ?"
        " AND status = 'held' AND expires_at > ?) AS windows",
        (holder.store_id, holder.terminal_id, account_id, current,
         holder.store_id, holder.terminal_id, account_id, current),
    ).fetchone()
    return None if row[0] is None else int(row[0])


def require_serving(conn: Connection, holder: KeyHolder, account_id: str) -> None:
    """403 not_serving unless the key may see this customer now."""
    if holder.bound and serving_until(conn, holder, account_id) is None:
        raise not_serving()


def not_serving() -> ApiError:
    return ApiError(403, "not_serving",
                    "This till is not serving that customer: identify them at this till first.")
