"""Screenshots of the key screens at the register's smallest size (80×24), checked against approved SVGs.

Update after a deliberate change with ``./dev test tests/app/test_snapshots.py --snapshot-update``,
then look at the new SVGs before committing them.
"""

from __future__ import annotations

import httpx
from textual.pilot import Pilot
from textual.widgets import SelectionList

from cashier_tui.screens.payment import PaymentScreen
from cashier_tui.screens.receipt import ReceiptScreen
from tests.app.conftest import find_customer, product_in, wait_for
from tests.app.test_register_flow import identify, ready, scan, type_text


def customer_with_reward(api: httpx.Client) -> str:
    phone, _ = find_customer(api, lambda s: any(r["reward_id"] == "free-hot-drink" for r in s["rewards_available"]))
    return phone


async def ring_up_with_reward(pilot: Pilot, api: httpx.Client) -> None:
    screen = await ready(pilot)
    await scan(pilot, product_in(api, "hot_drinks")["sku"])
    await scan(pilot, f"2*{product_in(api, 'bakery')['sku']}")
    await scan(pilot, product_in(api, "dairy")["sku"])
    await identify(pilot, customer_with_reward(api))
    await wait_for(pilot, lambda: screen.quote is not None)
    await pilot.press("f3")
    await wait_for(pilot, lambda: pilot.app.screen.query("#rewards-list"))
    pilot.app.screen.query_one("#rewards-list", SelectionList).select("free-hot-drink")
    await pilot.press("f3")
    await wait_for(pilot, lambda: screen.quote is not None and screen.quote.discount_total > 0)
    await pilot.pause()


def test_register_with_customer_and_reward(snap_compare, cashier, api: httpx.Client) -> None:
    async def run_before(pilot: Pilot) -> None:
        await ring_up_with_reward(pilot, api)

    assert snap_compare(cashier(), terminal_size=(80, 24), run_before=run_before)


def test_receipt_with_loyalty_block(snap_compare, cashier, api: httpx.Client) -> None:
    async def run_before(pilot: Pilot) -> None:
        await ring_up_with_reward(pilot, api)
        await pilot.press("f10")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, PaymentScreen))
        await type_text(pilot, "20")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ReceiptScreen))
        await pilot.pause()

    assert snap_compare(cashier(), terminal_size=(80, 24), run_before=run_before)


def test_enrol_dialog_fits_the_smallest_register(snap_compare, cashier) -> None:
    """The whole privacy notice and both consent boxes show at 80×24."""

    async def run_before(pilot: Pilot) -> None:
        await ready(pilot)
        await identify(pilot, "020 7946 0999")
        await wait_for(pilot, lambda: pilot.app.screen.query("#enrol-name"))
        await type_text(pilot, "Sam Taylor")
        await pilot.pause()

    assert snap_compare(cashier(), terminal_size=(80, 24), run_before=run_before)
