"""The one worker policy of the register and the kiosk: a failing worker never closes the till.

``@till_work(...)`` is Textual's ``@work`` with the error caught inside the worker: the app is
told with a ``WorkFailed`` message (handled by ``TillApp``: logged without personal data, and
the person at the till told in plain words that selling goes on) and the worker ends quietly.
Cancellation is not an error. A test checks that no module in the apps uses bare ``@work``.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from textual import work
from textual.dom import DOMNode
from textual.message import Message

Method = TypeVar("Method", bound=Callable[..., Awaitable[Any]])


@dataclass
class WorkFailed(Message):
    """A worker met an error it did not expect. ``what`` names the work (its group or name);
    ``error`` is kept for the log's type name only, never shown or logged as text."""

    what: str
    error: BaseException


def till_work(*, group: str = "default", exclusive: bool = False, name: str = "") -> Callable[[Method], Method]:
    """``@work`` for an async method of a widget, screen or app, under the till's policy."""

    def decorator(method: Method) -> Method:
        what = name or (group if group != "default" else method.__name__)

        @functools.wraps(method)
        async def guarded(node: DOMNode, *args: Any, **kwargs: Any) -> Any:
            try:
                return await method(node, *args, **kwargs)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                node.app.post_message(WorkFailed(what, error))
                return None

        return work(exclusive=exclusive, group=group, name=name, exit_on_error=False)(guarded)  # type: ignore[return-value]

    return decorator


async def guarded(node: DOMNode, what: str, job: Awaitable[Any]) -> Any:
    """Run ``job`` (a coroutine for ``run_worker``) under the same policy."""
    try:
        return await job
    except asyncio.CancelledError:
        raise
    except Exception as error:
        node.app.post_message(WorkFailed(what, error))
        return None
