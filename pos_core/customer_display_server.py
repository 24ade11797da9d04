"""The till's customer display service: the customer feed (pos_core/customer_feed.py) over HTTP,
for a tablet on the counter, a second monitor's terminal or anything else that faces the customer.

    GET  /         the customer's web page (pos_core/customer_page_routes.py), for a tablet or phone
    GET  /view     the current customer view, as JSON (pos_core/customer_view.py)
    GET  /events   Server-Sent Events: the current view at once, then each newer one
                   (``id:`` is its version; a keep-alive comment every 15 s)
    POST /consent  the customer's answer to the enrolment's consent (pos_core/customer_consent_route.py)

Every answer carries the display's security headers, and only requests addressed to the till by
its IP address or ``localhost`` are served (pos_core/customer_display_guard.py).

It runs on the till's own event loop (``serve`` is a coroutine the app runs as a worker) and binds
only the address it is given: loopback by default, the counter's LAN address for a tablet. It shows
only the till's own data: the feed holds nothing a customer should not see.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator, Iterator

import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from pos_core.customer_consent_route import consent_route
from pos_core.customer_display_guard import DisplayGuard
from pos_core.customer_feed import CustomerFeed
from pos_core.listen_address import DisplayAddressError, parse_listen
from pos_core.customer_page_routes import page_routes

KEEPALIVE_SECONDS = 15.0
# How soon a browser following /events tries again once the till is back (SSE ``retry:``, ms).
RECONNECT_MS = 1000
_NO_STORE = {"Cache-Control": "no-store"}


def bind(listen: str) -> socket.socket:
    """A listening socket on ``listen``; the port may be 0 (any free port, for tests)."""
    host, port = parse_listen(listen)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise DisplayAddressError(f"the customer display cannot listen on {listen}: {error.strerror}") from None
    sock.listen(64)
    sock.setblocking(False)
    return sock


def display_routes(feed: CustomerFeed) -> list[Route]:
    async def view(request: Request) -> Response:
        return JSONResponse(feed.view, headers=_NO_STORE)

    async def events(request: Request) -> Response:
        return StreamingResponse(_event_stream(feed, request), media_type="text/event-stream",
                                 headers=_NO_STORE | {"X-Accel-Buffering": "no"})

    return [Route("/view", view), Route("/events", events)]


async def _event_stream(feed: CustomerFeed, request: Request) -> AsyncIterator[bytes]:
    views = feed.follow()
    upcoming = asyncio.ensure_future(anext(views))
    try:
        yield f"retry: {RECONNECT_MS}\n\n".encode()
        while True:
            done, _ = await asyncio.wait({upcoming}, timeout=KEEPALIVE_SECONDS)
            if not done:
                if await request.is_disconnected():
                    return
                yield b": keep-alive\n\n"
                continue
            view = upcoming.result()
            yield f"id: {view['version']}\ndata: {json.dumps(view, ensure_ascii=False)}\n\n".encode()
            upcoming = asyncio.ensure_future(anext(views))
    finally:
        upcoming.cancel()
        with contextlib.suppress(BaseException):
            await upcoming
        await views.aclose()


def make_display_app(feed: CustomerFeed, routes: list[Route] | None = None) -> Starlette:
    return Starlette(
        routes=[*(routes or []), *display_routes(feed), *page_routes(), consent_route(feed)],
        middleware=[Middleware(DisplayGuard)],
    )


class _InLoopServer(uvicorn.Server):
    """uvicorn on the till's loop: the till, not the web server, owns the process's signals."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class DisplayServer:
    """The display's web server on a socket bound by ``bind``: ``await serve()``, ``stop()``."""

    def __init__(self, app: Starlette, sock: socket.socket) -> None:
        self.socket = sock
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                                timeout_graceful_shutdown=1)
        self._server = _InLoopServer(config)

    @property
    def url(self) -> str:
        host, port = self.socket.getsockname()[:2]
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    async def serve(self) -> None:
        await self._server.serve(sockets=[self.socket])

    def stop(self) -> None:
        self._server.should_exit = True
