"""One watcher per service process for new events, so idle event streams cost nothing.

Before, every open ``GET /v1/events`` stream polled the database itself every 0.2 s: 100 idle
streams from one key used half a core of the service (measured, benchmarks/bench_idle_streams.py).
Now one task polls, and only while some stream waits: each poll is one query for the ids and
accounts of events newer than the last it saw, and it wakes only the streams that can have
something new (those following one of those accounts, and those following every account). A woken
stream reads its own batch as before, so frames, ids and Last-Event-ID are unchanged.

Event ids only grow, and writers are serialised (database.write_transaction), so an event visible
with id N means every event below N is visible too: a stream that has looked at the table after
the watcher saw N has seen everything up to N. ``wait`` takes that N (``seen``); events the
watcher saw after it, before the stream began waiting, are kept briefly (``_recent``) so the
stream is woken at once rather than missing them.

Several processes: on SQLite each poll opens its own connection, so it sees what every process
has committed. On PostgreSQL the database notifies each new event (postgres_listener.py):
``notified`` makes the watcher look at once, so an event written by another process, or host,
reaches a stream here in milliseconds, and while notifications arrive the watcher polls only every
``LISTENING_POLL_SECONDS``, a safety net; when they stop it polls every 0.2 s again. The table stays
the record either way: a notification only says when to look.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable

from loyalty_service.database import Database

POLL_SECONDS = 0.2
LISTENING_POLL_SECONDS = 2.0
# A notified look waits this long first, so a burst of events (a busy chain writes hundreds a
# second) costs one look, not one each.
GATHER_SECONDS = 0.02
BATCH = 1000  # new events read per poll; a burst above it wakes every stream
RECENT = 4096  # (id, account) pairs kept, for streams that were between two looks


class EventWatch:
    """Waits for new events on behalf of every stream of one app. Use from its event loop only."""

    def __init__(self, database: Database, stopping: Callable[[], bool], poll_seconds: float = POLL_SECONDS,
                 listening: Callable[[], bool] = lambda: False) -> None:
        """``listening``: true while new events are notified (``notified``), so polling can slow."""
        self._database = database
        self._stopping = stopping
        self._poll_seconds = poll_seconds
        self._listening = listening
        self._look_now = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._newest: int | None = None  # the newest event id the watcher has seen
        self._recent: deque[tuple[int, str]] = deque(maxlen=RECENT)
        self._waiting: dict[str | None, set[asyncio.Event]] = {}  # by account; None: every account
        self._task: asyncio.Task[None] | None = None

    async def newest(self) -> int:
        """The newest event id seen: a stream takes it before it reads its own batch."""
        if self._newest is None:
            self._newest = await asyncio.to_thread(self._max_id)
        return self._newest

    async def wait(self, account_id: str | None, seen: int, timeout: float) -> tuple[bool, int]:
        """Wait until an event after ``seen`` may be there for ``account_id`` (None: any), at most
        ``timeout`` seconds or until the service stops. (whether woken for an event, the newest
        id now): the stream reads its batch after this and passes that id next time."""
        newest = await self.newest()
        if newest > seen and self._maybe_since(account_id, seen):
            return True, newest
        woken = asyncio.Event()
        self._waiting.setdefault(account_id, set()).add(woken)
        self._ensure_polling()
        try:
            await asyncio.wait_for(woken.wait(), timeout)
        except TimeoutError:
            pass
        finally:
            waiters = self._waiting.get(account_id)
            if waiters is not None:
                waiters.discard(woken)
                if not waiters:
                    del self._waiting[account_id]
        return woken.is_set(), self._newest if self._newest is not None else seen

    def _maybe_since(self, account_id: str | None, seen: int) -> bool:
        if not self._recent or self._recent[0][0] > seen + 1:
            return True  # the pairs kept do not reach back to ``seen``: look, to be sure
        return any(event_id > seen and (account_id is None or account == account_id)
                   for event_id, account in reversed(self._recent))

    def notified(self) -> None:
        """New events may be there: look now. Safe from any thread."""
        loop = self._loop
        if loop is None:
            return  # nobody has waited yet: nobody to wake
        try:
            loop.call_soon_threadsafe(self._look_now.set)
        except RuntimeError:  # the loop has closed
            pass

    def _ensure_polling(self) -> None:
        self._loop = asyncio.get_running_loop()
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._poll(), name="event-watch")

    async def _poll(self) -> None:
        while self._waiting:
            if self._stopping():
                self._wake_all()
                return
            self._look_now.clear()  # before the look: a notification during it means look again
            after = await self.newest()
            try:
                rows = await asyncio.to_thread(self._since, after)
            except Exception:
                # The database is away: let the streams look for themselves (and fail as before).
                self._wake_all()
                await asyncio.sleep(self._poll_seconds)
                continue
            if rows:
                self._newest = rows[-1][0]
                self._recent.extend(rows)
                if len(rows) == BATCH:
                    self._wake_all()
                    continue
                self._wake({account for _, account in rows})
            await self._pause()

    async def _pause(self) -> None:
        """Until the next look: a notification, or the poll interval."""
        interval = LISTENING_POLL_SECONDS if self._listening() else self._poll_seconds
        try:
            await asyncio.wait_for(self._look_now.wait(), interval)
        except TimeoutError:
            return
        await asyncio.sleep(GATHER_SECONDS)

    def _wake(self, accounts: set[str]) -> None:
        for key in (None, *accounts):
            for woken in self._waiting.get(key, ()):
                woken.set()

    def _wake_all(self) -> None:
        for waiters in self._waiting.values():
            for woken in waiters:
                woken.set()

    def _max_id(self) -> int:
        with self._database.connection() as conn:
            return int(conn.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()[0])

    def _since(self, after: int) -> list[tuple[int, str]]:
        with self._database.connection() as conn:
            rows = conn.execute("SELECT id, account_id FROM events WHERE id > ? ORDER BY id LIMIT ?",
                                (after, BATCH)).fetchall()
        return [(int(row["id"]), str(row["account_id"])) for row in rows]
