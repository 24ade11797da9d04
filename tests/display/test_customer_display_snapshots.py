"""Screenshots of the second terminal at the smallest size (80×24) and on a full-HD monitor,
checked against approved SVGs. The till's stream is played by an httpx transport holding one
view open, so the picture depends on nothing but the view.

Update after a deliberate change with ``--snapshot-update``, then look at the SVGs before committing.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
import pytest
from textual.pilot import Pilot

from cashier_tui.customer_display.app import make_app
from pos_core.customer_display_client import CustomerDisplayClient
from tests.app.conftest import wait_for

BASKET = {
    "version": 7, "phase": "basket", "store": "Demo Store", "training": False, "currency": "GBP",
    "lines": [{"name": "Flat white", "quantity": 1, "amount": 310, "amount_text": "£3.10"},
              {"name": "Sourdough loaf", "quantity": 2, "amount": 698, "amount_text": "£6.98"},
              {"name": "Semi-skimmed milk 2 pints", "quantity": 1, "amount": 145, "amount_text": "£1.45"}],
    "last_item": {"name": "Semi-skimmed milk 2 pints", "quantity": 1, "amount": 145, "amount_text": "£1.45"},
    "subtotal": 1153, "subtotal_text": "£11.53",
    "discounts": [{"name": "Free hot drink", "amount": 310, "amount_text": "-£3.10"}],
    "total": 843, "total_text": "£8.43", "total_estimated": False,
    "customer": {"name": "Alice S.", "tier": "Silver", "balance": 640, "balance_provisional": False,
                 "progress": "Only 360 points to 10% off your shop.",
                 "next_reward": {"name": "10% off your shop", "cost": 1000, "points_needed": 360}},
    "points_this_sale": 8, "points_estimated": False, "enrolment": None, "thank_you": None,
}
THANK_YOU = BASKET | {"phase": "thank_you", "lines": [], "last_item": None, "customer": None, "thank_you": {
    "total_text": "£8.43", "change_text": "£1.57", "points_earned": 8, "points_pending": False, "balance": 648,
    "name": "Alice S.", "points_held_text": "2 points are being checked and will be added once approved.", "emailed_text": "Receipt e-mailed to a•••@example.com"}}


def till_holding(view: dict) -> httpx.MockTransport:
    """A till whose event stream sends ``view`` and stays open."""

    async def events() -> AsyncIterator[bytes]:
        yield f"id: {view['version']}\ndata: {json.dumps(view)}\n\n".encode()
        await asyncio.Event().wait()

    async def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=events())

    return httpx.MockTransport(handle)


@pytest.mark.parametrize("view, size", [(BASKET, (80, 24)), (BASKET, (192, 54)), (THANK_YOU, (80, 24))],
                         ids=["basket-80x24", "basket-full-hd", "thank-you-80x24"])
def test_the_customer_display(snap_compare, view: dict, size: tuple[int, int]) -> None:
    app = make_app("http://till.test", client=CustomerDisplayClient("http://till.test", transport=till_holding(view)))

    async def run_before(pilot: Pilot) -> None:
        await wait_for(pilot, lambda: app.display_screen.view is not None)
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)
