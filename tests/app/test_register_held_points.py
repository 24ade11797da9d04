"""Points the programme holds for review (``review_points_above``) are said as held, not credited:
on the register's receipt screen, on the paper, and on the customer's display."""

from __future__ import annotations

import httpx

from cashier_tui.screens.payment import PaymentScreen
from cashier_tui.screens.receipt import ReceiptScreen
from textual.widgets import Label, Static

from tests.app.conftest import find_customer, wait_for
from tests.app.test_register_flow import SIZE, identify, ready, scan, type_text


async def test_a_sale_over_the_review_threshold_says_its_points_are_held(cashier, api: httpx.Client) -> None:
    # The demo programme holds earnings over 5 000 points; 999 of the dearest household item (£6.50
    # in the demo store) earn more at any tier.
    phone, before = find_customer(api, lambda s: True)
    item = max((p for p in api.get("/v1/catalog").json()["products"] if p["category"] == "household"),
               key=lambda p: p["unit_price"])
    app = cashier()
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(pilot)
        await scan(pilot, f"999*{item['sku']}")
        await identify(pilot, phone)
        await wait_for(pilot, lambda: screen.quote is not None)
        assert screen.quote.points_earned > 5000
        earned = screen.quote.points_earned
        await pilot.press("f10")
        await wait_for(pilot, lambda: isinstance(app.screen, PaymentScreen))
        await type_text(pilot, str(screen.quote.total // 100 + 1))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ReceiptScreen))
        receipt = app.screen
        assert receipt.done.loyalty is not None and receipt.done.loyalty.points_held_for_review == earned
        paper = str(receipt.query_one("#receipt-text", Static).render())
        assert f"+{earned:,}" in paper and "Held for review" in paper
        assert "being checked" in " ".join(paper.split())
        assert str(receipt.query_one("#points-credited", Label).render()).endswith("+0")
        assert f"{earned:,}" in str(receipt.query_one("#points-held", Label).render())
        thanks = app.customer_feed.view["thank_you"]
        assert thanks["points_earned"] == earned and thanks["points_held_text"].startswith(f"{earned:,} points are being checked")
    assert api.get(f"/v1/accounts/{before['account_id']}").json()["balance"] == before["balance"]
