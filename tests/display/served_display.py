"""A customer feed served on loopback by the real display server, on the test's own event loop,
for tests of the page and its routes that need no register."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from pos_core.catalog import Product
from pos_core.customer_display_server import DisplayServer, bind, make_display_app
from pos_core.customer_feed import CustomerFeed
from pos_core.loyalty_models import AccountSummary
from pos_core.sale import Sale


@asynccontextmanager
async def served(feed: CustomerFeed, listen: str = "127.0.0.1:0") -> AsyncIterator[DisplayServer]:
    server = DisplayServer(make_display_app(feed), bind(listen))
    task = asyncio.create_task(server.serve())
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while not server._server.started:
        if task.done() or loop.time() > deadline:
            raise AssertionError(f"the display server did not start: {task}")
        await asyncio.sleep(0.01)
    try:
        yield server
    finally:
        server.stop()
        await asyncio.wait_for(task, 10)


def product(name: str, price: int, sku: str = "9001") -> Product:
    return Product(sku=sku, ean=None, name=name, category="grocery", unit_price=price)


def sale_of(*items: tuple[str, int]) -> Sale:
    """A sale with one line per (name, price), no customer."""
    sale = Sale(store_id="demo-store", terminal_id="till-1", currency="GBP")
    for number, (name, price) in enumerate(items):
        sale = sale.with_basket(sale.basket.add(product(name, price, sku=str(9001 + number))))
    return sale


def customer(display_name: str = "Alice Smith") -> AccountSummary:
    """A Silver member 360 points from a reward, as the demo service answers for Alice."""
    return AccountSummary.from_json({
        "account_id": "acc_0000000000a1", "display_name": display_name, "currency": "GBP", "balance": 640,
        "tier": {"name": "Silver", "multiplier": "1.25", "next_tier": "Gold", "points_to_next_tier": 1860},
        "next_reward": {"reward_id": "ten-percent", "name": "10% off your shop", "cost": 1000, "points_needed": 360},
        "rewards_available": [],
    })
