"""A return at the register, and rewards held while a sale is open, against a real service."""

from __future__ import annotations

import re

import httpx
from textual.widgets import Input, Label, SelectionList, Static

from cashier_tui.screens.manager_pin import ManagerPinScreen
from cashier_tui.screens.payment import PaymentScreen
from cashier_tui.screens.receipt import ReceiptScreen
from cashier_tui.screens.register import RegisterScreen
from cashier_tui.screens.return_sale import ReturnScreen
from cashier_tui.screens.rewards import RewardsScreen
from pos_core.loyalty_models import Reservation
from tests.app.conftest import wait_for
from tests.app.test_register_flow import SIZE, identify, ready, scan, type_text

ALICE_ID = "acc_7f3a9c2e51d0"  # Silver x1.25, 640 points
FIRST_SALE = "00000000-0000-4000-8000-000000000001"


def label(screen, selector: str) -> str:
    return str(screen.query_one(selector, Label).render())


def slip(returns: ReturnScreen) -> str:
    """The return's slip as shown on the return screen."""
    return str(returns.query_one("#return-slip", Static).render())


async def pay_by_card(pilot) -> None:
    """F10, then F9: the exact amount by card; waits for the receipt."""
    await pilot.press("f10")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, PaymentScreen))
    await pilot.press("f9")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ReceiptScreen))


async def rung_up_for_alice(pilot, *codes: str) -> RegisterScreen:
    """The register with ``codes`` scanned for Alice, once quoted."""
    screen = await ready(pilot)
    for code in codes:
        await scan(pilot, code)
    await identify(pilot, "020 7946 0001")
    await wait_for(pilot, lambda: screen.quote is not None)
    return screen


async def alice_with_five_off_held(pilot) -> tuple[RegisterScreen, Reservation | None]:
    """Two loaves for Alice, £5 off applied: the register and the hold it made."""
    screen = await ready(pilot)
    await scan(pilot, "2*1005")
    await identify(pilot, "020 7946 0001")
    await wait_for(pilot, lambda: screen.quote is not None)
    await apply_reward(pilot, screen, "five-off")
    return screen, pilot.app.checkout.hold_for(screen.sale.sale_id)


async def apply_reward(pilot, screen: RegisterScreen, reward_id: str) -> None:
    """F3, tick ``reward_id``, F3 again; waits until the sale carries it and is quoted."""
    await pilot.press("f3")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, RewardsScreen))
    pilot.app.screen.query_one(SelectionList).select(reward_id)
    await pilot.press("f3")
    await wait_for(pilot, lambda: screen.sale.rewards == (reward_id,) and screen.quote is not None)


async def test_a_paid_sale_is_partly_returned_at_the_register(cashier, api: httpx.Client) -> None:
    app = cashier()
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(pilot)
        await scan(pilot, "2*1005")  # two sourdough loaves, £6.98
        await scan(pilot, "1006")  # a croissant, £1.35
        await identify(pilot, "020 7946 0001")
        await wait_for(pilot, lambda: screen.quote is not None)
        await pay_by_card(pilot)
        receipt = app.screen.lines
        assert any(f"R-{FIRST_SALE}" in line for line in receipt)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RegisterScreen))

        sale = api.get(f"/v1/sales/{FIRST_SALE}").json()
        # £8.33 at Silver 1.25 = 10.41 -> 10 points: 650.
        assert (sale["points_earned"], sale["balance"]) == (10, 650)

        await pilot.press("f12")
        await wait_for(pilot, lambda: isinstance(app.screen, ReturnScreen))
        returns = app.screen
        await type_text(pilot, f"R-{FIRST_SALE}")
        await pilot.press("enter")
        await wait_for(pilot, lambda: returns.query("#return-qty-0"))
        assert returns.query_one("#return-qty-0", Input).has_focus
        # One loaf of the two; the croissant stays with the customer.
        returns.query_one("#return-qty-0", Input).value = "1"
        await pilot.press("f10")
        await wait_for(pilot, lambda: returns.result is not None)
        result = returns.result
        # One loaf is 349 of the 833 eligible: 10 x 349 / 833 = 4.19 -> 5 points back (rounded up).
        assert (result.refund_amount, result.points_reversed, result.points_refunded, result.balance) == (
            349, 5, 0, 645)
        shown = label(returns, "#return-result")
        assert "Refund £3.49 to the card." in shown and "-5" in shown and "645 pts" in shown
        paper = slip(returns)
        assert f"R-{FIRST_SALE}" in paper and "1 x Sourdough loaf" in paper
        assert "Refunded to card" in paper and "£3.49" in paper and "cash" not in paper

        assert api.get(f"/v1/accounts/{ALICE_ID}").json()["balance"] == 650 - 5
        done = api.get(f"/v1/sales/{FIRST_SALE}/returns").json()
        assert [(line["sku"], line["returned"]) for line in done["lines"]] == [("1005", 1), ("1006", 0)]
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, RegisterScreen))


async def test_a_scanned_receipt_opens_its_sale_for_return(cashier, api: httpx.Client) -> None:
    app = cashier()
    async with app.run_test(size=SIZE) as pilot:
        await rung_up_for_alice(pilot, "1006")
        await pay_by_card(pilot)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RegisterScreen))
        app.devices.hub.read_text(f"R-{FIRST_SALE.upper()}", "scanner")
        await wait_for(pilot, lambda: isinstance(app.screen, ReturnScreen))
        await wait_for(pilot, lambda: app.screen.query("#return-qty-0"))
        assert app.screen.query_one("#return-receipt", Input).value == f"R-{FIRST_SALE}"


async def test_rewards_are_held_while_applied_and_released_on_void(cashier, api: httpx.Client) -> None:
    app = cashier()
    async with app.run_test(size=SIZE) as pilot:
        screen, hold = await alice_with_five_off_held(pilot)
        assert hold is not None and hold.points_held == 500
        # Another till cannot reserve the same points now.
        other = api.post("/v1/reservations", json={"account_id": ALICE_ID, "rewards": ["five-off"],
                                                   "store_id": "demo-store", "terminal_id": "till-2"})
        assert other.status_code == 422
        await pilot.press("f8")
        await pilot.pause()
        await pilot.press("y")  # confirm the void
        await wait_for(pilot, lambda: not screen.sale.basket.lines)
        await wait_for(pilot, lambda: api.get(f"/v1/reservations/{hold.reservation_id}").json()["status"] == "released")


async def test_paying_redeems_the_held_rewards(cashier, api: httpx.Client) -> None:
    app = cashier()
    async with app.run_test(size=SIZE) as pilot:
        screen, hold = await alice_with_five_off_held(pilot)
        assert hold is not None
        await pay_by_card(pilot)
        assert app.screen.done.loyalty.balance == 142
    redeemed = api.get(f"/v1/reservations/{hold.reservation_id}").json()
    assert (redeemed["status"], redeemed["sale_id"]) == ("redeemed", FIRST_SALE)


async def return_first_sale(pilot, quantity: str) -> ReturnScreen:
    """F12, the first sale's receipt number, ``quantity`` of its first line, F10."""
    await pilot.press("f12")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ReturnScreen))
    returns = pilot.app.screen
    await type_text(pilot, f"R-{FIRST_SALE}")
    await pilot.press("enter")
    await wait_for(pilot, lambda: returns.query("#return-qty-0"))
    returns.query_one("#return-qty-0", Input).value = quantity
    await pilot.press("f10")
    return returns


async def test_a_cash_sale_is_refunded_in_cash(cashier, api: httpx.Client) -> None:
    app = cashier()
    async with app.run_test(size=SIZE) as pilot:
        await rung_up_for_alice(pilot, "2*1005")
        await pilot.press("f10")
        await wait_for(pilot, lambda: isinstance(app.screen, PaymentScreen))
        await pilot.press("enter")  # cash, the exact amount
        await wait_for(pilot, lambda: isinstance(app.screen, ReceiptScreen))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RegisterScreen))
        returns = await return_first_sale(pilot, "1")
        await wait_for(pilot, lambda: returns.result is not None)
        assert "Refund £3.49 in cash." in label(returns, "#return-result")
        assert "Refunded in cash" in slip(returns) and "card" not in slip(returns)
        assert [(r.method, r.amount) for r in returns.result.refunds] == [("cash", 349)]


async def test_a_large_refund_asks_for_a_manager_s_pin_and_the_service_checks_it(cashier, api: httpx.Client) -> None:
    app = cashier()
    async with app.run_test(size=SIZE) as pilot:
        await rung_up_for_alice(pilot, "8*1030")  # eight laundry pods, £52.00: above the demo's £50.00
        await pay_by_card(pilot)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RegisterScreen))
        returns = await return_first_sale(pilot, "8")
        await wait_for(pilot, lambda: isinstance(app.screen, ManagerPinScreen))
        assert "£50.00" in label(app.screen, "#manager-pin-dialog Label.muted")
        await pilot.press("enter")  # no id: the dialog asks for it
        await wait_for(pilot, lambda: app.screen.query_one("#manager-pin").has_focus)
        await pilot.press("enter")
        await wait_for(pilot, lambda: "types their id" in label(app.screen, "#manager-pin-error"))
        # The PIN is the demo manager's but the id another's: the service checks the pair.
        for text in ("mgr_nobody", "135790"):
            await type_text(pilot, text)
            await pilot.press("enter")
        await wait_for(pilot, lambda: "not a manager's" in label(returns, "#return-error"))
        assert returns.result is None and app.checkout.outbox.pending_count() == 0
        assert api.get(f"/v1/sales/{FIRST_SALE}/returns").json()["returns"] == []
        await pilot.press("f10")
        await wait_for(pilot, lambda: isinstance(app.screen, ManagerPinScreen))
        for text in ("mgr_demo", "135790"):
            await type_text(pilot, text)
            await pilot.press("enter")
        await wait_for(pilot, lambda: returns.result is not None)
        assert "Refund £52.00 to the card." in label(returns, "#return-result")
    done = api.get(f"/v1/sales/{FIRST_SALE}/returns").json()["returns"]
    assert [(r["refund_amount"], r["approved_by"]) for r in done] == [(5200, "Demo manager")]
    till_files = b"".join(p.read_bytes() for p in (app.checkout.outbox.path,
                                                   app.checkout.outbox.path.with_name("outbox.db-wal")) if p.exists())
    # The PIN went to the service only: never into the till's files (ids aside, which are random hex).
    without_ids = re.sub(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", b"", till_files)
    assert b"manager_pin" not in till_files and b"135790" not in without_ids
