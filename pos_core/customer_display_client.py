"""A customer display's side of the till's display service (pos_core/customer_display_server.py):
one long-lived ``httpx.AsyncClient`` following ``GET /events`` (Server-Sent Events, httpx-sse).
Pure async, no Textual: the second terminal (cashier_tui/customer_display) runs it in a worker.

- ``views()`` follows one connection and yields each view; it raises ``TillUnreachable`` when the
  till does not answer or the stream ends (the till stopped or restarted), ``NotATillDisplay``
  when what answers is not a till's customer display (a wrong URL, a proxy's page).
- ``follow()`` never ends: the views, and a ``TillWaiting`` each time the till is lost, while it
  reconnects by itself with exponential backoff and jitter (reset once a view arrives again).

A view is checked for its shape (a version and a known phase) before it is handed on; its text
is still data, for the display to show as text.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
from httpx_sse import SSEError, aconnect_sse

Json = dict[str, Any]
PHASES = frozenset({"welcome", "basket", "paying", "enrolling", "thank_you"})
# The server sends a keep-alive every 15 s: silence for longer than this means a dead connection.
READ_TIMEOUT = 40.0


class TillDisplayError(Exception):
    """Base class: the till's customer display could not be followed."""


class TillUnreachable(TillDisplayError):
    """Nothing answered in time at the till's address, or the till closed the stream."""


class NotATillDisplay(TillDisplayError):
    """Something answered, but not a till's customer display (wrong status, type or document)."""


@dataclass(frozen=True, slots=True)
class TillWaiting:
    """The till is lost: ``reason`` in a few words, and the seconds until the next try."""

    reason: str
    retry_in: float


def checked_view(data: Any) -> Json:
    """``data`` if it is a customer view (pos_core/customer_view.py); else NotATillDisplay."""
    if not isinstance(data, dict):
        raise NotATillDisplay("the answer is not a customer view")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or data.get("phase") not in PHASES:
        raise NotATillDisplay("the answer is not a customer view")
    return data


class CustomerDisplayClient:
    def __init__(
        self,
        till_url: str,
        *,
        connect_timeout: float = 3.0,
        retry_seconds: tuple[float, float] = (0.5, 10.0),
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.till_url = till_url.rstrip("/")
        self.retry_seconds = retry_seconds
        self._http = httpx.AsyncClient(
            base_url=self.till_url,
            timeout=httpx.Timeout(READ_TIMEOUT, connect=connect_timeout),
            transport=transport,
            follow_redirects=False,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def view(self) -> Json:
        """The current view (``GET /view``)."""
        try:
            response = await self._http.get("/view")
        except httpx.HTTPError as error:
            raise TillUnreachable(_words(error)) from None
        if response.status_code != 200:
            raise NotATillDisplay(f"the till answered {response.status_code}")
        try:
            return checked_view(response.json())
        except ValueError:
            raise NotATillDisplay("the answer is not JSON") from None

    async def views(self) -> AsyncIterator[Json]:
        """Each view from one connection to ``GET /events``, the current one first."""
        try:
            async with aconnect_sse(self._http, "GET", "/events") as source:
                if source.response.status_code != 200:
                    raise NotATillDisplay(f"the till answered {source.response.status_code}")
                async for event in source.aiter_sse():
                    if event.event not in ("message", "") or not event.data:
                        continue
                    try:
                        data = json.loads(event.data)
                    except ValueError:
                        raise NotATillDisplay("an event is not JSON") from None
                    yield checked_view(data)
        except SSEError:
            raise NotATillDisplay("the address is not an event stream") from None
        except httpx.HTTPError as error:
            raise TillUnreachable(_words(error)) from None
        raise TillUnreachable("the till closed the connection")

    async def follow(self) -> AsyncIterator[Json | TillWaiting]:
        """The views for as long as the display runs, reconnecting by itself; a ``TillWaiting``
        each time the till is lost (with the wait before the next try)."""
        low, high = self.retry_seconds
        delay = low
        while True:
            try:
                async for view in self.views():
                    delay = low
                    yield view
            except TillDisplayError as error:
                reason = str(error)
            wait = min(high, delay) * random.uniform(0.8, 1.2)
            yield TillWaiting(reason, wait)
            await asyncio.sleep(wait)
            delay = min(high, delay * 2)


def _words(error: httpx.HTTPError) -> str:
    if isinstance(error, httpx.ConnectError):
        return "the till does not answer"
    if isinstance(error, httpx.TimeoutException):
        return "the till did not answer in time"
    if isinstance(error, (httpx.RemoteProtocolError, httpx.ReadError)):
        return "the till closed the connection"
    return "the till could not be reached"
