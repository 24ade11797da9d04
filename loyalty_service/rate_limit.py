"""Per-key limits on what could be used to enumerate customers or guess PINs.

``lookup_misses``: identifies that found nobody, at most N a minute per key (``--unknown-lookups-
per-minute``). Once a key is over, every identify by it is refused with 429 and Retry-After until
the window frees, known numbers too: otherwise a 200 beside 429s would still tell who is a member.
The counts live in the process (a chain running several services gives each its own budget).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque

from loyalty_service.errors import ApiError


class RateLimited(ApiError):
    def __init__(self, retry_after: float, message: str) -> None:
        super().__init__(429, "rate_limited", message)
        self.retry_after = max(1, math.ceil(retry_after))


class SlidingWindow:
    """At most ``limit`` noted events per key in any ``window`` seconds."""

    def __init__(self, limit: int, window: float = 60.0, clock=time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def wait_needed(self, key: str) -> float:
        """Seconds until ``key`` may go on; 0 when it may now."""
        if self.limit <= 0:
            return 0.0
        now = self.clock()
        with self._lock:
            times = self._events.get(key)
            if times is None:
                return 0.0
            while times and times[0] <= now - self.window:
                times.popleft()
            if not times:
                del self._events[key]
                return 0.0
            if len(times) < self.limit:
                return 0.0
            return times[0] + self.window - now

    def note(self, key: str) -> None:
        with self._lock:
            self._events.setdefault(key, deque()).append(self.clock())

    def check(self, key: str, message: str) -> None:
        wait = self.wait_needed(key)
        if wait > 0:
            raise RateLimited(wait, message)


def install_handler(app) -> None:
    """429 in the contract's error shape, with Retry-After in whole seconds."""
    from fastapi import Request
    from fastapi.responses import JSONResponse

    from loyalty_service.errors import error_response

    @app.exception_handler(RateLimited)
    async def rate_limited(request: Request, error: RateLimited) -> JSONResponse:
        return error_response(429, error.code, error.message, headers={"Retry-After": str(error.retry_after)})
