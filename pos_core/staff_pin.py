"""The kiosk's staff PIN: 5 wrong tries in a row lock it for 5 minutes.

The PIN lets staff take items off and void a sale at a kiosk nobody watches, so it must not be
guessable at the screen: after ``LOCK_AFTER`` wrong tries every try is refused, the right PIN too,
until ``LOCK_SECONDS`` have passed; a right PIN before that starts the count again. The kiosk holds
one of these for as long as it runs, so closing and reopening the assistance screen changes nothing.
"""

from __future__ import annotations

import hmac
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

LOCK_AFTER = 5
LOCK_SECONDS = 300.0


@dataclass(frozen=True, slots=True)
class PinAttempt:
    accepted: bool
    locked_seconds: float = 0.0  # > 0: refused unchecked, or this wrong try locked it
    tries_left: int = LOCK_AFTER

    @property
    def message(self) -> str:
        """What the kiosk shows staff, in plain words; "" when accepted."""
        if self.accepted:
            return ""
        if self.locked_seconds > 0:
            return locked_message(self.locked_seconds)
        return f"That PIN is not right. {self.tries_left} more tr{'y' if self.tries_left == 1 else 'ies'} before" \
               f" it locks for {lock_wait(LOCK_SECONDS)}."


def locked_message(seconds: float) -> str:
    return f"Too many wrong PINs: locked for {lock_wait(seconds)}. Ask a supervisor."


def lock_wait(seconds: float) -> str:
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


class StaffPinLock:
    def __init__(self, pin: str, clock: Callable[[], float] = time.monotonic) -> None:
        self._pin = pin.encode()
        self.clock = clock
        self._wrong = 0
        self._locked_until = 0.0

    def locked_seconds(self) -> float:
        """How long until a PIN may be tried again; 0 when it may now."""
        return max(0.0, self._locked_until - self.clock())

    def attempt(self, typed: str) -> PinAttempt:
        wait = self.locked_seconds()
        if wait > 0:
            return PinAttempt(False, wait, 0)
        if hmac.compare_digest(typed.encode(), self._pin):
            self._wrong = 0
            return PinAttempt(True)
        self._wrong += 1
        if self._wrong >= LOCK_AFTER:
            self._wrong = 0
            self._locked_until = self.clock() + LOCK_SECONDS
            return PinAttempt(False, LOCK_SECONDS, 0)
        return PinAttempt(False, tries_left=LOCK_AFTER - self._wrong)
