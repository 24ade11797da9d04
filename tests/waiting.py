"""Waiting in tests: for a condition, with a bound, never for a fixed time."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(condition: Callable[[], T], *, timeout: float, what: str, interval: float = 0.02) -> T:
    """Call ``condition`` until it returns something true, and return that; fail naming ``what``
    if ``timeout`` seconds pass first. ``interval`` only paces the looking."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"not within {timeout:g} s: {what}")
        time.sleep(min(interval, max(0.0, deadline - time.monotonic())))
