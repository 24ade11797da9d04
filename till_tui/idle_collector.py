"""When the garbage collector's full passes run at the till: while nobody is using it.

A full pass walks every object the till holds and holds everything else while it does: 25 to 70 ms
on the demo store on two cores, which was the slowest lookups' whole tail (a customer's panel a
frame or four late). So, once the store is loaded:

- what the till made to start (modules, screens, the catalog) is frozen out of the passes
  (``gc.freeze``);
- automatic full passes are made rare (the collector's third threshold raised), a safety net
  for a till that is never left alone;
- and one full pass runs whenever the till has had no key for ``idle_after`` seconds and none
  has run for ``full_every`` seconds: between customers, where nobody waits on it.

The young generations are collected as before (well under a millisecond each). ``stop`` gives
back the thresholds and the frozen objects, so a process that runs the till again (training, the
tests) collects the old one. Plain Python: the app calls ``touched`` on each key and ``tick``
from a timer.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

IDLE_AFTER = 1.0  # seconds without a key before the till counts as idle
FULL_EVERY = 20.0  # seconds between full passes while idle
RARE_FULL_PASSES = 1_000  # the collector's third threshold meanwhile (Python's default: 10)


class IdleCollector:
    def __init__(self, *, idle_after: float = IDLE_AFTER, full_every: float = FULL_EVERY,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.idle_after = idle_after
        self.full_every = full_every
        self._clock = clock
        self._last_key = clock()
        self._last_full = clock()
        self._thresholds: tuple[int, int, int] | None = None
        self.full_passes = 0

    @property
    def started(self) -> bool:
        return self._thresholds is not None

    def start(self) -> None:
        """The store is loaded: freeze what the till made, and take full passes over."""
        if self._thresholds is not None:
            return
        gc.freeze()
        self._thresholds = gc.get_threshold()
        young, middle, _ = self._thresholds
        gc.set_threshold(young, middle, RARE_FULL_PASSES)
        self._last_full = self._clock()

    def touched(self) -> None:
        """Someone pressed a key (or a scanner typed one): the till is in use."""
        self._last_key = self._clock()

    def tick(self) -> bool:
        """Run a full pass if the till is idle and one is due; says whether it ran."""
        if self._thresholds is None:
            return False
        now = self._clock()
        if now - self._last_key < self.idle_after or now - self._last_full < self.full_every:
            return False
        gc.collect()
        self._last_full = self._clock()
        self.full_passes += 1
        return True

    def stop(self) -> None:
        if self._thresholds is not None:
            gc.set_threshold(*self._thresholds)
            self._thresholds = None
        gc.unfreeze()
