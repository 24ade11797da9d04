"""Per-key limits on what could be used to enumerate customers or guess PINs.

``lookup_misses``: identifies that found nobody and enrolments of a number already enrolled, at
most N a minute per key (``--unknown-lookups-per-minute``). Once a key is over, every identify and
enrolment by it is refused with 429 and Retry-After until the window frees, known numbers too:
otherwise a 200 or 409 beside 429s would still tell who is a member. ``wrong_pins``: wrong manager
PINs, 5 per key in 5 minutes. ``enrolments``: enrolments per key per minute.

An attempt takes its slot (``take``) before the work is done, under one lock, so requests sent at
once cannot all pass a check made before any of them is counted (measured before: 40 wrong PINs at
once, 35 checked against a limit of 5). An attempt that turns out harmless (a customer found, a
right PIN) gives its slot back (``give_back``). The counts live in the process (a chain running
several services gives each its own budget).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from loyalty_service.errors import ApiError


# One message for identify and enrolment, so neither says which of them spent the budget.
LOOKUPS_SPENT = "Too many lookups found nobody, or enrolments a member; wait before trying again."


class RateLimited(ApiError):
    def __init__(self, retry_after: float, message: str) -> None:
        super().__init__(429, "rate_limited", message)
        self.retry_after = max(1, math.ceil(retry_after))


class SlidingWindow:
    """At most ``limit`` attempts counted per key in any ``window`` seconds."""

    def __init__(self, limit: int, window: float = 60.0, clock=time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str, message: str) -> Slot:
        """Count one attempt now, or raise ``RateLimited`` if ``key`` has none left."""
        if self.limit <= 0:
            return Slot(self, key, None)
        now = self.clock()
        with self._lock:
            times = self._events.setdefault(key, deque())
            while times and times[0] <= now - self.window:
                times.popleft()
            if len(times) >= self.limit:
                raise RateLimited(times[0] + self.window - now, message)
            times.append(now)
        return Slot(self, key, now)

    @contextmanager
    def counted(self, key: str, message: str, *, kept_when: str) -> Iterator[None]:
        """Count the block's attempt before it runs; keep the count only when the block fails with
        the error code ``kept_when`` (the harm being limited), give it back otherwise."""
        slot = self.take(key, message)
        keep = False
        try:
            yield
        except ApiError as error:
            keep = error.code == kept_when
            raise
        finally:
            if not keep:
                slot.give_back()

    def give_back(self, slot: Slot) -> None:
        if slot.taken_at is None:
            return
        with self._lock:
            times = self._events.get(slot.key)
            if times is not None:
                try:
                    times.remove(slot.taken_at)
                except ValueError:  # it had left the window already
                    pass
                if not times:
                    del self._events[slot.key]


@dataclass(frozen=True, slots=True)
class Slot:
    """One attempt counted against a key; ``give_back`` it when the attempt did no harm."""

    window: SlidingWindow
    key: str
    taken_at: float | None

    def give_back(self) -> None:
        self.window.give_back(self)


def install_handler(app) -> None:
    """429 in the contract's error shape, with Retry-After in whole seconds."""
    from fastapi import Request
    from fastapi.responses import JSONResponse

    from loyalty_service.errors import error_response

    @app.exception_handler(RateLimited)
    async def rate_limited(request: Request, error: RateLimited) -> JSONResponse:
        return error_response(429, error.code, error.message, headers={"Retry-After": str(error.retry_after)})
