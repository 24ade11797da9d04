"""At most N open event streams per key (``--events-streams-per-key``): one more is 429
too_many_streams with Retry-After, so one key (a stolen till's) cannot hold the service's streams.

A slot is taken when the stream is answered and given back when its response ends, however it
ends (the client gone, the service stopping, an error), exactly once.
"""

from __future__ import annotations

import threading

from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from loyalty_service.rate_limit import RateLimited

DEFAULT_STREAMS_PER_KEY = 20
RETRY_AFTER_SECONDS = 5


class TooManyStreams(RateLimited):
    def __init__(self, limit: int) -> None:
        super().__init__(RETRY_AFTER_SECONDS, f"This key has {limit} event streams open already; close one first.")
        self.code = "too_many_streams"


class StreamSlots:
    """Open streams per key id; ``limit`` 0: no limit."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._open: dict[str, int] = {}
        self._lock = threading.Lock()

    def take(self, key_id: str) -> Slot:
        """A slot for one more stream of this key, or TooManyStreams."""
        with self._lock:
            count = self._open.get(key_id, 0)
            if self.limit and count >= self.limit:
                raise TooManyStreams(self.limit)
            self._open[key_id] = count + 1
        return Slot(self, key_id)

    def _give_back(self, key_id: str) -> None:
        with self._lock:
            count = self._open.get(key_id, 0) - 1
            if count > 0:
                self._open[key_id] = count
            else:
                self._open.pop(key_id, None)


class Slot:
    def __init__(self, slots: StreamSlots, key_id: str) -> None:
        self._slots = slots
        self._key_id = key_id
        self._held = True

    def release(self) -> None:
        if self._held:
            self._held = False
            self._slots._give_back(self._key_id)


class SlotStreamingResponse(StreamingResponse):
    """A streaming response that gives its slot back when it ends, even if its body never started."""

    def __init__(self, *args: object, slot: Slot, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.slot = slot

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.slot.release()
