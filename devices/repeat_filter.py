"""One read per showing: a code held in front of the camera is on dozens of frames in a row.

A code is reported when it first appears; again only once it has been out of sight for
``repeat_after`` seconds, or once a different code has been reported since (the customer
showed another card, then this one again). Time is passed in, so a video file can use its own
timeline and tests can use plain numbers.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import TypeVar

Code = TypeVar("Code", bound=Hashable)


class RepeatFilter:
    def __init__(self, repeat_after: float = 3.0) -> None:
        if repeat_after < 0:
            raise ValueError("repeat_after must be zero or more seconds")
        self.repeat_after = repeat_after
        self._last_seen: dict[Hashable, float] = {}  # codes in sight lately → when last seen

    def feed(self, codes: Iterable[Code], now: float) -> list[Code]:
        """The codes seen on one frame at time ``now`` (seconds) → the ones to report, in order.

        Codes on the same frame do not displace each other, so two codes held up together are
        each reported once, not alternately.
        """
        seen = list(dict.fromkeys(codes))
        new = [code for code in seen if not self._in_sight(code, now)]
        if new:
            # Anything else read before is displaced: showing it again is a new read.
            self._last_seen = {code: t for code, t in self._last_seen.items() if code in seen}
        for code in seen:
            self._last_seen[code] = now
        return new

    def admit(self, code: Code, now: float) -> bool:
        """One code seen at ``now``: should it be reported?"""
        return bool(self.feed([code], now))

    def reset(self) -> None:
        """Forget everything seen (the next showing of any code is reported)."""
        self._last_seen.clear()

    def _in_sight(self, code: Hashable, now: float) -> bool:
        last = self._last_seen.get(code)
        return last is not None and now - last < self.repeat_after
