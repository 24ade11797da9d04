"""Requests sent at once, as the attacks of issue 13 sent them: every thread waits at a barrier,
then all send together."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx


def at_once(calls: list[Callable[[], httpx.Response]]) -> list[httpx.Response]:
    barrier = threading.Barrier(len(calls))

    def send(call: Callable[[], httpx.Response]) -> httpx.Response:
        barrier.wait(timeout=30)
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(send, calls))


def outcomes(responses: list[httpx.Response]) -> Counter[tuple[int, str]]:
    """How many of each (status, error code); "" for a success."""
    return Counter((r.status_code, r.json()["error"]["code"] if r.status_code >= 400 else "") for r in responses)
