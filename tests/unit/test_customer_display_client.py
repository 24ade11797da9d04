"""The second terminal's client of the till's display service, on loopback: a till that is not
there is waited for with growing, jittered pauses; a real display server is read; anything else
answering at the address is told apart."""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest

from pos_core.customer_display_client import CustomerDisplayClient, NotATillDisplay, TillUnreachable, TillWaiting
from pos_core.customer_display_server import DisplayServer, bind, make_display_app
from pos_core.customer_feed import CustomerFeed


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_an_absent_till_is_retried_with_growing_pauses() -> None:
    client = CustomerDisplayClient(f"http://127.0.0.1:{closed_port()}", retry_seconds=(0.01, 0.04))
    waits: list[TillWaiting] = []
    try:
        async for item in client.follow():
            assert isinstance(item, TillWaiting)
            waits.append(item)
            if len(waits) == 4:
                break
        with pytest.raises(TillUnreachable):
            await client.view()
    finally:
        await client.aclose()
    assert {wait.reason for wait in waits} == {"the till does not answer"}
    for wait, pause in zip(waits, (0.01, 0.02, 0.04, 0.04)):  # doubling up to the ceiling, ±20 %
        assert pause * 0.8 <= wait.retry_in <= pause * 1.2


async def test_a_real_display_server_is_read_and_a_stranger_is_not() -> None:
    feed = CustomerFeed(store="Demo Store")
    server = DisplayServer(make_display_app(feed), bind("127.0.0.1:0"))
    serving = asyncio.ensure_future(server.serve())
    client = CustomerDisplayClient(server.url)
    try:
        for _ in range(200):
            if server._server.started:
                break
            await asyncio.sleep(0.01)
        assert await client.view() == feed.view
        views = client.views()
        assert await anext(views) == feed.view
        feed.ask_consent(terms_version="2026-01", privacy_notice="We keep your name.")
        changed = await asyncio.wait_for(anext(views), 5)
        assert changed["phase"] == "enrolling" and changed["version"] == feed.version
        await views.aclose()
    finally:
        await client.aclose()
        server.stop()
        await serving

    async def a_proxy(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/view":
            return httpx.Response(200, json={"version": True, "phase": "welcome"})
        return httpx.Response(502, text="Bad gateway")

    stranger = CustomerDisplayClient("http://till.test", transport=httpx.MockTransport(a_proxy))
    with pytest.raises(NotATillDisplay, match="not a customer view"):
        await stranger.view()
    with pytest.raises(NotATillDisplay, match="answered 502"):
        await anext(stranger.views())
    await stranger.aclose()
