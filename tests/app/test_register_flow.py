"""The register, driven by the Pilot, against a real loyalty service on loopback."""

from __future__ import annotations

from math import floor
from decimal import Decimal

import httpx
import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Label, SelectionList, Static

from cashier_tui.screens.enrol import EnrolScreen
from cashier_tui.screens.payment import PaymentScreen
from cashier_tui.screens.phone_entry import PhoneEntryScreen
from cashier_tui.screens.receipt import ReceiptScreen
from cashier_tui.screens.register import RegisterScreen
from cashier_tui.widgets.basket_view import BasketView
from tests.app.conftest import find_customer, product_in, wait_for

SIZE = (80, 24)


async def type_text(pilot: Pilot, text: str) -> None:
    await pilot.press(*["space" if char == " " else char for char in text])


async def ready(pilot: Pilot) -> RegisterScreen:
    """The register once the products are loaded and the item field has focus."""
    await wait_for(pilot, lambda: pilot.app.store_loaded)
    screen = pilot.app.screen
    assert isinstance(screen, RegisterScreen)
    await wait_for(pilot, lambda: not screen.query_one("#item-entry", Input).disabled)
    return screen


async def scan(pilot: Pilot, code: str) -> None:
    await type_text(pilot, code)
    await pilot.press("enter")


async def identify(pilot: Pilot, phone: str) -> None:
    await pilot.press("f2")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, PhoneEntryScreen))
    await type_text(pilot, phone)
    await pilot.press("enter")


async def to_payment(pilot: Pilot, phone: str, sku: str) -> RegisterScreen:
    """Ring up one item for the customer with ``phone`` and open the payment dialog."""
    screen = await ready(pilot)
    await scan(pilot, sku)
    await identify(pilot, phone)
    await wait_for(pilot, lambda: screen.quote is not None)
    await pilot.press("f10")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, PaymentScreen))
    return screen


def panel_text(screen: RegisterScreen, selector: str) -> str:
    return str(screen.query_one(selector, Label).render())


def notifications(app) -> list[str]:
    return [n.message for n in app._notifications]


@pytest.mark.parametrize("style", ["national", "international", "punctuated"])
async def test_identify_by_phone_in_any_common_format(cashier, api: httpx.Client, style: str) -> None:
    phone, summary = find_customer(api, lambda s: s["next_reward"] is not None)
    local = phone.replace(" ", "")[1:]  # 2079460001
    typed = {
        "national": phone,
        "international": f"+44 {local[:2]} {local[2:6]} {local[6:]}",
        "punctuated": f"0044 (0){local[:2]}-{local[2:6]}-{local[6:]}",
    }[style]
    app = cashier()
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(pilot)
        await identify(pilot, typed)
        await wait_for(pilot, lambda: screen.sale.customer is not None)
        await pilot.pause()
        assert panel_text(screen, "#customer-name") == summary["display_name"]
        assert f"{summary['balance']:,} pts" in panel_text(screen, "#customer-balance")
        assert summary["tier"]["name"] in panel_text(screen, "#customer-tier")
        assert f"{summary['next_reward']['points_needed']:,} pts to {summary['next_reward']['name']}" in str(
            screen.query_one(".next-reward", Label).render()
        )


async def test_invalid_phone_is_refused_in_the_dialog(cashier) -> None:
    app = cashier()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await identify(pilot, "12345")
        await pilot.pause()
        assert isinstance(app.screen, PhoneEntryScreen)
        assert "too short" in str(app.screen.query_one("#phone-error", Label).render())
        await pilot.press("escape")
        assert isinstance(app.screen, RegisterScreen)
        assert app.screen.sale.customer is None


async def test_unknown_number_enrols_with_recorded_consent(cashier, api: httpx.Client) -> None:
    assert api.post("/v1/identify", json={"method": "phone", "value": "02079460999"}).status_code == 404
    app = cashier()
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(pilot)
        await identify(pilot, "02079460999")
        await wait_for(pilot, lambda: isinstance(app.screen, EnrolScreen))
        enrol = app.screen
        assert enrol.query_one("#enrol-phone", Input).value == "020 7946 0999"
        await type_text(pilot, "Sam Taylor")
        await pilot.click("#enrol-ok")
        await pilot.pause()
        # No consent ticked: refused in the dialog, nothing sent.
        assert "agree to the terms" in str(enrol.query_one("#enrol-error", Label).render())
        assert api.post("/v1/identify", json={"method": "phone", "value": "02079460999"}).status_code == 404
        await pilot.click("#enrol-terms")
        await pilot.click("#enrol-ok")
        await wait_for(pilot, lambda: screen.sale.customer is not None)
        assert screen.sale.customer.display_name == "Sam T."
        assert screen.sale.customer.balance == 0
    summary = api.post("/v1/identify", json={"method": "phone", "value": "+44 20 7946 0999"}).json()
    assert summary["display_name"] == "Sam T."


async def test_sale_with_reward_is_credited_exactly_once(cashier, api: httpx.Client) -> None:
    phone, before = find_customer(
        api, lambda s: any(r["reward_id"] == "free-hot-drink" for r in s["rewards_available"])
    )
    drink = product_in(api, "hot_drinks")
    loaf = product_in(api, "bakery")
    app = cashier()
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(pilot)
        await scan(pilot, drink["sku"])
        await scan(pilot, f"2*{loaf['ean']}")
        assert [(line.product.sku, line.quantity) for line in screen.sale.basket.lines] == [
            (drink["sku"], 1),
            (loaf["sku"], 2),
        ]
        await identify(pilot, phone)
        await wait_for(pilot, lambda: screen.quote is not None)
        subtotal = drink["unit_price"] + 2 * loaf["unit_price"]
        assert screen.quote.total == subtotal and screen.quote.discount_total == 0

        await pilot.press("f3")
        await wait_for(pilot, lambda: app.screen.query("#rewards-list"))
        rewards = app.screen.query_one("#rewards-list", SelectionList)
        rewards.select("free-hot-drink")
        await pilot.press("f3")
        await wait_for(pilot, lambda: screen.quote is not None and screen.quote.discount_total > 0)
        assert screen.sale.rewards == ("free-hot-drink",)
        assert screen.quote.discount_total == drink["unit_price"]
        assert screen.quote.total == 2 * loaf["unit_price"]
        multiplier = Decimal(before["tier"]["multiplier"])
        expected_points = floor(Decimal(2 * loaf["unit_price"]) * multiplier / 100)
        assert screen.quote.points_earned == expected_points
        sale_id = screen.sale.sale_id

        await pilot.press("f10")
        await wait_for(pilot, lambda: isinstance(app.screen, PaymentScreen))
        await type_text(pilot, "20")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ReceiptScreen))
        receipt = str(app.screen.query_one("#receipt-text", Static).render())
        assert f"+{expected_points}" in receipt
        assert "Free hot drink" in receipt
        assert str(app.screen.query_one("#change-due", Label).render()).endswith(
            f"£{(2000 - 2 * loaf['unit_price']) / 100:.2f}"
        )
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RegisterScreen))
        assert screen.sale.customer is None and not screen.sale.basket.lines
        assert screen.sale.sale_id != sale_id

    recorded = api.get(f"/v1/sales/{sale_id}").json()
    assert recorded["sale_id"] == sale_id
    assert (recorded["points_earned"], recorded["points_redeemed"]) == (expected_points, 150)
    after = api.get(f"/v1/accounts/{before['account_id']}").json()
    assert after["balance"] == before["balance"] - 150 + expected_points

    # The till may send the same sale again (a lost reply): the service changes nothing.
    body = {key: recorded[key] for key in ("account_id", "store_id", "terminal_id", "currency", "lines", "rewards", "tender")}
    replay = api.post("/v1/sales", json=body, headers={"Idempotency-Key": sale_id})
    assert replay.status_code == 201
    assert replay.json()["points_earned"] == expected_points
    assert api.get(f"/v1/accounts/{before['account_id']}").json()["balance"] == after["balance"]


async def test_lines_can_be_voided_and_changed(cashier, api: httpx.Client) -> None:
    loaf, drink = product_in(api, "bakery"), product_in(api, "hot_drinks")
    app = cashier()
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(pilot)
        await scan(pilot, loaf["sku"])
        await scan(pilot, drink["sku"])
        await pilot.press("up")
        assert screen.query_one(BasketView).selected_index == 0
        await pilot.press("f6")
        await wait_for(pilot, lambda: app.screen.query("#quantity-input"))
        await pilot.press("backspace", "3", "enter")
        await wait_for(pilot, lambda: screen.sale.basket.lines[0].quantity == 3)
        await pilot.press("down", "f4")
        assert [line.product.sku for line in screen.sale.basket.lines] == [loaf["sku"]]
        assert screen.sale.basket.subtotal == 3 * loaf["unit_price"]


async def test_unknown_code_says_what_to_do(cashier) -> None:
    app = cashier()
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(pilot)
        await scan(pilot, "99999")
        await pilot.pause()
        assert not screen.sale.basket.lines
        assert any("No product has the code 99999" in m for m in notifications(app))


async def test_service_down_the_register_still_sells(cashier, api: httpx.Client, live_service) -> None:
    loaf = product_in(api, "bakery")
    app = cashier()
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(pilot)
        live_service.stop()
        await identify(pilot, "020 7946 0001")
        await wait_for(pilot, lambda: app.service_state == "offline")
        assert any("not answering" in m for m in notifications(app))
        assert "OFFLINE" in str(screen.query_one("#status-service", Label).render())
        assert screen.sale.customer is None
        await scan(pilot, loaf["sku"])
        await pilot.press("f10")
        await wait_for(pilot, lambda: isinstance(app.screen, PaymentScreen))
        await pilot.press("f9")
        await wait_for(pilot, lambda: isinstance(app.screen, ReceiptScreen))
        receipt = str(app.screen.query_one("#receipt-text", Static).render())
        assert "LOYALTY" not in receipt and "Card" in receipt


async def test_paid_sale_the_service_did_not_confirm_is_sent_again_once(cashier, api: httpx.Client, live_service, tmp_path) -> None:
    """The service goes away between payment and confirmation: the same sale, same tender, goes again."""
    from pos_core.embedded_service import start_service
    from tests.conftest import TEST_API_KEY

    phone, before = find_customer(api, lambda s: s["balance"] > 0)
    loaf = product_in(api, "bakery")
    port = int(live_service.url.rsplit(":", 1)[1])
    app = cashier()
    async with app.run_test(size=SIZE) as pilot:
        screen = await to_payment(pilot, phone, loaf["sku"])
        sale_id = screen.sale.sale_id
        live_service.stop()
        await type_text(pilot, "10")
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.unconfirmed is not None)
        assert screen.unconfirmed[0].amount == 1000
        assert screen.query_one("#item-entry", Input).disabled
        assert not screen.check_action("void_sale", ()) and not screen.check_action("pay", ())
        assert screen.check_action("resend", ()) and screen.check_action("finish_without_points", ())
        assert any("The customer has paid" in m for m in notifications(app))
        # Still down: sending again fails the same way and keeps the sale paid.
        await pilot.press("f10")
        await wait_for(pilot, lambda: sum("The customer has paid" in m for m in notifications(app)) >= 2)
        assert screen.unconfirmed is not None and screen.sale.sale_id == sale_id
        restarted = start_service(db_path=tmp_path / "service" / "loyalty.db", api_key=TEST_API_KEY, port=port)
        try:
            await pilot.press("f10")
            await wait_for(pilot, lambda: isinstance(app.screen, ReceiptScreen))
            assert "Points earned" in str(app.screen.query_one("#receipt-text", Static).render())
            assert screen.unconfirmed is None
            recorded = api.get(f"/v1/sales/{sale_id}").json()
            assert recorded["tender"] == [{"method": "cash", "amount": 1000}]
            after = api.get(f"/v1/accounts/{before['account_id']}").json()
            assert after["balance"] == before["balance"] + recorded["points_earned"]
        finally:
            restarted.stop()


async def test_paid_sale_can_finish_without_points(cashier, api: httpx.Client, live_service) -> None:
    phone, _ = find_customer(api, lambda s: True)
    loaf = product_in(api, "bakery")
    app = cashier()
    async with app.run_test(size=SIZE) as pilot:
        screen = await to_payment(pilot, phone, loaf["sku"])
        live_service.stop()
        await pilot.press("f9")
        await wait_for(pilot, lambda: screen.unconfirmed is not None)
        await pilot.press("f8")
        await wait_for(pilot, lambda: isinstance(app.screen, ReceiptScreen))
        receipt = str(app.screen.query_one("#receipt-text", Static).render())
        assert "Points not yet confirmed" in receipt and "Card" in receipt
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RegisterScreen))
        assert screen.unconfirmed is None and not screen.query_one("#item-entry", Input).disabled


async def test_keymap_from_settings_moves_a_binding(cashier, api: httpx.Client) -> None:
    loaf = product_in(api, "bakery")
    app = cashier(keymap={"register.pay": "f12"})
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await scan(pilot, loaf["sku"])
        await pilot.press("f10")
        await pilot.pause()
        assert isinstance(app.screen, RegisterScreen)
        await pilot.press("f12")
        await wait_for(pilot, lambda: isinstance(app.screen, PaymentScreen))


async def test_unknown_theme_falls_back_and_says_so(cashier) -> None:
    app = cashier(theme="no-such-theme")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert app.theme == "store"
        assert any("no theme called 'no-such-theme'" in m for m in notifications(app))
