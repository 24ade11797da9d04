"""Per-key limits on what could be used to enumerate customers or guess PINs.

``lookup_misses``: identifies that found nobody and enrolments of a number already enrolled, at
most N a minute per key (``--unknown-lookups-per-minute``). Once a key is over, every identify and
enrolment by it is refused with 429 and Retry-After until the window frees, known numbers too:
otherwise a 200 or 409 beside 429s would still tell who is a member. ``wrong_pins``: wrong manager
PINs, 5 per key in 5 minutes. ``enrolments``: enrolments per key per minute.

An attempt takes its slot (``take``) before the work is done, so requests sent at once cannot all
pass a check made before any of them is counted (measured before: 40 wrong PINs at once, 35 checked
against a limit of 5). An attempt that turns out harmless (a customer found, a right PIN) gives its
slot back (``give_back``).

The slots are rows of the database (``rate_limit_hits``), not of a process: every service process
on the database, on one host or several, counts against the same budget. A slot is taken in a
write transaction scoped to the limit and key (database.write_transaction), which counts the key's
rows and adds one, so 40 attempts at once across processes still get exactly the limit; other keys
and other writes do not wait on it. Rows past their window no longer count, and go hourly
(``prune``).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass

from loyalty_service.database import Connection, Database, write_transaction
from loyalty_service.errors import ApiError
from loyalty_service.hourly_job import run_hourly


# One message for identify and enrolment, so neither says which of them spent the budget.
LOOKUPS_SPENT = "Too many lookups found nobody, or enrolments a member; wait before trying again."


class RateLimited(ApiError):
    def __init__(self, retry_after: float, message: str) -> None:
        super().__init__(429, "rate_limited", message)
        self.retry_after = max(1, math.ceil(retry_after))


class SlidingWindow:
    """At most ``limit`` attempts counted per key in any ``window`` seconds, for the limit
    ``name``, in ``database``. ``clock``: Unix seconds (the processes sharing it share the clock)."""

    def __init__(self, database: Database, name: str, limit: int, window: float = 60.0,
                 clock: Callable[[], float] = time.time) -> None:
        self.database = database
        self.name = name
        self.limit = limit
        self.window = window
        self.clock = clock

    def take(self, key: str, message: str, conn: Connection | None = None) -> Slot:
        """Count one attempt now, or raise ``RateLimited`` if ``key`` has none left. ``conn``: a
        connection the caller holds (outside a transaction), else one is borrowed."""
        if self.limit <= 0:
            return Slot(self, key, None)
        now_ms = int(self.clock() * 1000)
        with self._connection(conn) as db, write_transaction(db, scope=f"rate:{self.name}:{key}"):
            # Counted and added in one statement (PostgreSQL: 4 round trips with the lock, BEGIN and
            # COMMIT); rows past their window are left to ``prune``: they no longer count.
            added = db.execute(
                "INSERT INTO rate_limit_hits (name, key_id, expires_ms) SELECT ?, ?, ?"
                " WHERE (SELECT COUNT(*) FROM rate_limit_hits WHERE name = ? AND key_id = ? AND expires_ms > ?) < ?"
                " RETURNING id",
                (self.name, key, now_ms + int(self.window * 1000), self.name, key, now_ms, self.limit),
            ).fetchone()
            if added is None:
                first_expiry = db.execute(
                    "SELECT MIN(expires_ms) FROM rate_limit_hits WHERE name = ? AND key_id = ? AND expires_ms > ?",
                    (self.name, key, now_ms),
                ).fetchone()[0]
        if added is None:
            raise RateLimited((first_expiry - now_ms) / 1000, message)
        return Slot(self, key, int(added[0]))

    @contextmanager
    def counted(
        self, key: str, message: str, *, kept_when: str | tuple[str, ...], conn: Connection | None = None
    ) -> Iterator[None]:
        """Count the block's attempt before it runs; keep the count only when the block fails with
        the error code ``kept_when`` (the harm being limited), give it back otherwise. ``conn``: as
        for ``take``, and free again (no transaction open) when the block ends."""
        slot = self.take(key, message, conn)
        keep = False
        try:
            yield
        except ApiError as error:
            keep = error.code in ((kept_when,) if isinstance(kept_when, str) else kept_when)
            raise
        finally:
            if not keep:
                slot.give_back(conn)

    def give_back(self, slot: Slot, conn: Connection | None = None) -> None:
        if slot.hit is None:
            return
        with self._connection(conn) as db:
            if db.dialect == "sqlite":  # a scoped transaction costs no fsync of its own
                with write_transaction(db, scope=f"rate:{self.name}:{slot.key}"):
                    db.execute("DELETE FROM rate_limit_hits WHERE id = ?", (slot.hit,))
            else:  # one statement, atomic by itself: nothing to wait for
                db.execute("DELETE FROM rate_limit_hits WHERE id = ?", (slot.hit,))

    def _connection(self, conn: Connection | None) -> AbstractContextManager[Connection]:
        return nullcontext(conn) if conn is not None else self.database.connection()


@dataclass(frozen=True, slots=True)
class Slot:
    """One attempt counted against a key; ``give_back`` it when the attempt did no harm."""

    window: SlidingWindow
    key: str
    hit: int | None  # its row in rate_limit_hits; None when nothing is limited

    def give_back(self, conn: Connection | None = None) -> None:
        self.window.give_back(self, conn)


def prune(conn: Connection, now: float | None = None) -> int:
    """Delete every limit's rows that no longer count; how many went."""
    now_ms = int((time.time() if now is None else now) * 1000)
    return conn.execute("DELETE FROM rate_limit_hits WHERE expires_ms <= ?", (now_ms,)).rowcount


def keep_pruning(database: Database, stopping: Callable[[], bool]) -> threading.Thread:
    """Prune now, then hourly (hourly_job.py), until ``stopping()``: keys that never come back."""
    return run_hourly(database, "rate-limit-retention", prune, "pruned %d rate-limit counts no longer counting",
                      stopping)


def install_handler(app) -> None:
    """429 in the contract's error shape, with Retry-After in whole seconds."""
    from fastapi import Request
    from fastapi.responses import JSONResponse

    from loyalty_service.errors import error_response

    @app.exception_handler(RateLimited)
    async def rate_limited(request: Request, error: RateLimited) -> JSONResponse:
        return error_response(429, error.code, error.message, headers={"Retry-After": str(error.retry_after)})
