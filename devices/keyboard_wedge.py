"""A keyboard-wedge scanner or stripe reader, told from a person typing by timing and shape.

USB handheld scanners and stripe readers "type" what they read: a character every 5–30 ms, then
Enter. People type a character every 100–250 ms. The decision is made per burst, never per key:
keys are held back (at most ``burst_end``) until the burst either ends in Enter at scanner speed
(a scan: none of its characters reach a text field) or shows itself to be typing (the held keys
are let through, in order). Times are given, not read from a clock, so all of this is pure and
tested with exact timestamps.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

Key = TypeVar("Key")


@dataclass(frozen=True)
class WedgeTiming:
    """Thresholds, in seconds. Scanners' own inter-character delay is configurable, so are these."""

    # A scan's typical gap between characters (its median) is at most this.
    max_gap: float = 0.035
    # Any gap this long ends a burst: the held keys were typed by a person.
    burst_end: float = 0.06
    # Fewer characters than this are never a scan (the shortest code we read, EAN-8, has 8).
    min_length: int = 4

    def __post_init__(self) -> None:
        if not 0 < self.max_gap <= self.burst_end:
            raise ValueError("need 0 < max_gap <= burst_end")
        if self.min_length < 1:
            raise ValueError("min_length must be at least 1")


def is_scanner_burst(times: Sequence[float], enter_time: float, timing: WedgeTiming = WedgeTiming()) -> bool:
    """Whether characters typed at ``times``, then Enter at ``enter_time``, came from a scanner.

    A scanner's gaps are short and even; a USB hiccup may stretch one in ten of them, never past
    ``burst_end``, and never the first (so a key typed just before a scan is not taken into it).
    """
    if len(times) < timing.min_length:
        return False
    stamps = [*times, enter_time]
    gaps = [later - earlier for earlier, later in zip(stamps, stamps[1:])]
    if any(gap < 0 or gap > timing.burst_end for gap in gaps) or gaps[0] > timing.max_gap:
        return False
    slow = sum(gap > timing.max_gap for gap in gaps)
    return statistics.median(gaps) <= timing.max_gap and slow <= max(1, len(gaps) // 10)


@dataclass(frozen=True)
class Deliver(Generic[Key]):
    """Hand this key on to the screen, as if nothing had held it."""

    key: Key


@dataclass(frozen=True)
class Scanned:
    """A whole burst read by a scanner or stripe reader; its keys are consumed."""

    text: str


@dataclass
class WedgeFilter(Generic[Key]):
    """Holds keys while they may still be a scan; says what to deliver and what was scanned.

    ``Key`` is whatever the caller needs back (a Textual key event, a test's tuple).
    """

    timing: WedgeTiming = WedgeTiming()
    _held: list[tuple[Key, str, float]] = field(default_factory=list)
    _scan_ended: float | None = None

    @property
    def holding(self) -> bool:
        return bool(self._held)

    def deadline(self) -> float | None:
        """When the held keys must be let through if nothing else comes."""
        return self._held[-1][2] + self._patience() if self._held else None

    def _patience(self) -> float:
        # A scan's first gap is never a hiccup (is_scanner_burst), so one lone key waits only
        # max_gap: a person's keys reach the screen that much sooner.
        return self.timing.max_gap if len(self._held) == 1 else self.timing.burst_end

    def key(self, key: Key, character: str | None, at: float, *, enter: bool = False) -> list[Deliver[Key] | Scanned]:
        """One key: a printable ``character``, a key that ends a scan (``enter``: Enter, or the LF
        or Tab some scanners are set to send), or anything else (``character`` None)."""
        if enter and not self._held and self._scan_ended is not None and at - self._scan_ended <= self.timing.max_gap:
            self._scan_ended = None  # the LF of a scanner's CR LF: part of the scan, swallowed
            return []
        if enter:
            times = [t for _, _, t in self._held]
            # The scan may follow a key or two typed just before it: those are let through.
            for start in range(len(times) - self.timing.min_length + 1):
                if is_scanner_burst(times[start:], at, self.timing):
                    typed, scanned = self._held[:start], self._held[start:]
                    self._held.clear()
                    self._scan_ended = at
                    return [*(Deliver(k) for k, _, _ in typed), Scanned("".join(c for _, c, _ in scanned))]
            return [*self.release(), Deliver(key)]
        if character is None or len(character) != 1 or not character.isprintable():
            return [*self.release(), Deliver(key)]
        out: list[Deliver[Key] | Scanned] = []
        if self._held and at - self._held[-1][2] > self._patience():
            out = list(self.release())
        self._held.append((key, character, at))
        return out

    def tick(self, now: float) -> list[Deliver[Key] | Scanned]:
        """Let the held keys through once the burst can no longer be a scan."""
        deadline = self.deadline()
        if deadline is not None and now >= deadline:
            return list(self.release())
        return []

    def release(self) -> list[Deliver[Key]]:
        held = [Deliver(key) for key, _, _ in self._held]
        self._held.clear()
        return held
