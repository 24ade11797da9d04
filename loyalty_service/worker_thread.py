"""A route whose body blocks (it talks to the database) runs that body in one worker thread.

FastAPI runs a plain ``def`` route in its threadpool, and a plain ``def`` dependency there too, and
for such a route also the check of its answer against the response model: each one a hand-off to
a worker thread and back (a wake-up of the event loop, a future, a context copy), five for one
request here (three dependencies, the route, the check). An ``async def`` route has its
dependencies and its answer handled on the event loop, where they take microseconds, so
``in_worker_thread`` wraps a plain route in one that hands the body to the threadpool once and
awaits it. FastAPI reads the parameters and annotations of the plain function (``functools.wraps``
sets ``__wrapped__``), so the route's contract and its OpenAPI entry are unchanged.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

from starlette.concurrency import run_in_threadpool

P = ParamSpec("P")
T = TypeVar("T")


def in_worker_thread(route: Callable[P, T]) -> Callable[P, Coroutine[Any, Any, T]]:
    """``route`` (a plain function) as an ``async def`` route that runs it in the threadpool."""

    @functools.wraps(route)
    async def run(*args: P.args, **kwargs: P.kwargs) -> T:
        return await run_in_threadpool(route, *args, **kwargs)

    return run
