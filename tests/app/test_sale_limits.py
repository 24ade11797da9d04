"""The register refuses, with a clear message, what the Loyalty API would refuse after payment: a
sale over the programme's ``max_sale_amount`` (``GET /v1/program`` limits)."""

from __future__ import annotations

import httpx

from cashier_tui.screens.quantity import QuantityScreen
from tests.app.conftest import wait_for
from tests.app.test_register_flow import SIZE, notifications, ready, scan


async def test_a_sale_over_the_programmes_most_is_refused_at_entry(cashier, api: httpx.Client) -> None:
    assert api.get("/v1/program").json()["limits"]["max_sale_amount"] == 1_000_000  # £10,000.00
    gift_card = next(p for p in api.get("/v1/catalog").json()["products"] if p["unit_price"] == 2000)
    app = cashier()
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(pilot)
        await scan(pilot, f"500*{gift_card['sku']}")  # £10,000.00 exactly: allowed
        await wait_for(pilot, lambda: screen.sale.basket.subtotal == 1_000_000)
        await scan(pilot, "1001")  # one flat white more is over
        await wait_for(pilot, lambda: any("at most £10,000.00" in m for m in notifications(app)))
        assert screen.sale.basket.subtotal == 1_000_000
        assert [line.quantity for line in screen.sale.basket.lines] == [500]
        # Changing the line's quantity (F6) past the most is refused the same way.
        def told() -> int:
            return sum("at most £10,000.00" in m for m in notifications(app))

        before = told()
        await pilot.press("f6")
        await wait_for(pilot, lambda: isinstance(app.screen, QuantityScreen))
        await pilot.press("backspace", "backspace", "backspace", "9", "9", "9", "enter")
        await wait_for(pilot, lambda: told() > before)
        assert [line.quantity for line in screen.sale.basket.lines] == [500]
