"""The customer feed, read over HTTP from a running register: the view follows the sale, shows
only what the customer may see, and its event stream delivers each change."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from pos_core.customer_words import short_name
from pos_core.settings import CustomerDisplaySettings
from tests.app.conftest import find_customer, wait_for
from tests.app.test_register_flow import SIZE, identify, ready, scan

pytestmark = pytest.mark.service


async def next_view(lines, after: int) -> dict:
    """The next SSE event whose version is above ``after``."""
    async for line in lines:
        if line.startswith("data: "):
            view = json.loads(line[6:])
            if view["version"] > after:
                return view
    raise AssertionError("the stream ended")


async def test_the_view_follows_the_sale_and_the_stream_delivers_it(cashier, api) -> None:
    phone, summary = find_customer(api, lambda s: s["next_reward"] is not None)
    app = cashier(customer_display=CustomerDisplaySettings(listen="127.0.0.1:0"))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        server = await wait_for(pilot, lambda: app.display_server)
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as web:
            await wait_for(pilot, lambda: server._server.started)
            first = (await web.get("/view")).json()
            assert first["phase"] == "welcome" and first["lines"] == []
            async with web.stream("GET", "/events") as stream:
                lines = stream.aiter_lines()
                now = await asyncio.wait_for(next_view(lines, -1), 10)
                await scan(pilot, "1001")
                view = await asyncio.wait_for(next_view(lines, now["version"]), 10)
                while not view["lines"]:
                    view = await asyncio.wait_for(next_view(lines, view["version"]), 10)
                assert view["phase"] == "basket"
                assert view["last_item"]["quantity"] == 1 and view["total"] == view["lines"][0]["amount"]
                await identify(pilot, phone)
                while view["customer"] is None or view["points_this_sale"] is None:
                    view = await asyncio.wait_for(next_view(lines, view["version"]), 10)
        assert view["customer"]["name"] == short_name(summary["display_name"])
        assert view["customer"]["progress"].startswith(f"Only {summary['next_reward']['points_needed']:,} points to ")
        text = json.dumps(view)
        # Nothing that identifies the customer beyond first name and initial.
        assert summary["account_id"] not in text and "7946" not in text
