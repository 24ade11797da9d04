"""Click & collect at the register (80×24), against a real service: the shop's pickup code scanned
shows the order and its customer's panel, F10 records the collection and the slip shows the
points; what is bought at the same time is a normal sale; with the service away the order cannot
be collected and the till goes on selling."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from textual.widgets import Label, Static

from cashier_tui.help_entries import entry_for
from cashier_tui.screens.order_pickup import COLLECTED, NOT_FOUND, OFFLINE, OrderPickupScreen
from cashier_tui.screens.return_sale import ReturnScreen
from pos_core.embedded_service import RunningService
from tests.app.conftest import wait_for
from tests.app.test_register_flow import SIZE, ready, scan
from tests.app.test_register_return import ALICE_ID, pay_by_card

LINES = [
    {"sku": "1005", "name": "Sourdough loaf", "category": "bakery", "quantity": 2, "unit_price": 349},
    {"sku": "1030", "name": "Laundry pods x24", "category": "household", "quantity": 1, "unit_price": 650},
]


def placed_order(api: httpx.Client) -> dict[str, Any]:
    """An order the online shop posts for Alice, collected at the register's store."""
    body = {"order_id": f"WEB-{uuid.uuid4().hex[:8]}", "account_id": ALICE_ID, "store_id": "demo-store",
            "currency": "GBP", "lines": LINES, "paid_total": 1348}
    answer = api.post("/v1/orders", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


def text_of(screen: OrderPickupScreen, selector: str, kind: type = Static) -> str:
    return str(screen.query_one(selector, kind).render())


async def test_a_scanned_pickup_code_is_collected_and_the_slip_shows_the_points(cashier, api: httpx.Client) -> None:
    order = placed_order(api)
    expected = api.post("/v1/quote", json={"account_id": ALICE_ID, "lines": LINES}).json()["points_earned"]
    before = api.get(f"/v1/accounts/{ALICE_ID}").json()["balance"]
    app = cashier()
    async with app.run_test(size=SIZE) as pilot:
        register = await ready(pilot)
        app.devices.hub.read_text(order["pickup_code"] + "\r", "scanner")  # as the hand scanner sends it
        await wait_for(pilot, lambda: isinstance(app.screen, OrderPickupScreen) and app.screen.found is not None)
        pickup = app.screen
        shown = text_of(pickup, "#order-details")
        assert "2 x Sourdough loaf  £6.98" in shown and "1 x Laundry pods x24  £6.50" in shown
        assert "Paid online  £13.48" in shown and "Status  ready to collect" in shown
        assert "Alice" in shown
        # The customer is on the sale: the register's panel shows them behind the dialog.
        assert register.sale.customer is not None and register.sale.customer.account_id == ALICE_ID

        await pilot.press("f10")
        await wait_for(pilot, lambda: pickup.result is not None)
        slip = text_of(pickup, "#order-details")
        assert "CLICK & COLLECT" in slip
        assert f"+{expected:,}" in slip and f"{before + expected:,} pts" in slip
        sale_id = pickup.result.order.sale_id
        assert f"R-{sale_id}" in slip  # a return scans this
        assert text_of(pickup, "#order-problem", Label) == COLLECTED
        await pilot.press("f10")  # nothing more to record
        await pilot.pause()
        assert api.get(f"/v1/accounts/{ALICE_ID}").json()["balance"] == before + expected

        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is register)
        # A croissant bought at the same time is a normal sale, for the same customer.
        await scan(pilot, "1006")
        await wait_for(pilot, lambda: register.quote is not None)
        await pay_by_card(pilot)
        assert any("Points earned" in line for line in app.screen.lines)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is register)

        # The collected laundry pods come back with the slip's number, like any return.
        await scan(pilot, f"R-{sale_id}")
        await wait_for(pilot, lambda: isinstance(app.screen, ReturnScreen) and app.screen.found is not None)


async def test_offline_an_order_cannot_be_collected_and_the_till_still_sells(
    cashier, api: httpx.Client, live_service: RunningService
) -> None:
    order = placed_order(api)
    app = cashier()
    async with app.run_test(size=SIZE) as pilot:
        register = await ready(pilot)
        live_service.stop()
        await scan(pilot, order["pickup_code"].lower())  # typed by hand, in lower case
        await wait_for(pilot, lambda: isinstance(app.screen, OrderPickupScreen))
        pickup = app.screen
        await wait_for(pilot, lambda: text_of(pickup, "#order-problem", Label) == OFFLINE)
        assert pickup.found is None and not pickup.check_action("collect", ())
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is register)
        await scan(pilot, "1005")
        await wait_for(pilot, lambda: register.sale is not None and len(register.sale.basket.lines) == 1)


def test_the_order_screen_s_problems_are_in_the_help() -> None:
    assert entry_for(OFFLINE) is not None and entry_for(NOT_FOUND) is not None
    assert entry_for("Not this store's order: The order is collected at another store (store-north).") is not None


def test_the_order_fits_the_smallest_register(snap_compare, cashier, api: httpx.Client) -> None:
    """The order's lines, what was paid, its status and the keys show whole at 80×24."""
    body = {"order_id": "WEB-1001", "account_id": ALICE_ID, "store_id": "demo-store", "currency": "GBP",
            "lines": LINES, "paid_total": 1348}
    code = api.post("/v1/orders", json=body).json()["pickup_code"]

    async def run_before(pilot) -> None:
        register = await ready(pilot)
        pilot.app.devices.hub.read_text(code, "scanner")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, OrderPickupScreen) and pilot.app.screen.found)
        await wait_for(pilot, lambda: register.sale.customer is not None)
        await pilot.pause()

    assert snap_compare(cashier(), terminal_size=(80, 24), run_before=run_before)
