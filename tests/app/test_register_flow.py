"""The register, driven by the Pilot, against a real loyalty service on loopback."""

from __future__ import annotations

from math import floor
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Label, SelectionList, Static

from cashier_tui.screens.enrol import EnrolScreen
from cashier_tui.screens.payment import PaymentScreen
from cashier_tui.screens.phone_entry import PhoneEntryScreen
from cashier_tui.screens.receipt import ReceiptScreen
from cashier_tui.screens.register import RegisterScreen
from cashier_tui.widgets.loyalty_panel import LoyaltyPanel
from cashier_tui.widgets.basket_view import BasketView
from tests.conftest import told
from tests.app.conftest import find_customer, product_in, wait_for
from tests.conftest import live_service_db
from tests.service.stored import rows

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


async def pay_in_cash(pilot: Pilot, pounds: str) -> None:
    """F10, the cash typed, Enter: until the receipt shows."""
    await pilot.press("f10")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, PaymentScreen))
    await type_text(pilot, pounds)
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ReceiptScreen))


def panel_text(screen: RegisterScreen, selector: str) -> str:
    """The words of one line of the loyalty panel as drawn ("#customer-name", "#points-this-sale"…)."""
    return screen.query_one(LoyaltyPanel).text(selector.removeprefix("#"))


def notifications(app) -> list[str]:
    return told(app)


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
        assert f"{summary['next_reward']['points_needed']:,} pts to {summary['next_reward']['name']}" in panel_text(
            screen, "#panel-next-reward")


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


async def test_unknown_number_enrols_with_recorded_consent(cashier, api: httpx.Client, tmp_path: Path) -> None:
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
    # Ticked by the cashier: consent given out loud, at the till.
    assert rows(live_service_db(tmp_path), "SELECT given_at, marketing FROM consents WHERE account_id = ?",
                (summary["account_id"],)) == [("till", 0)]


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

        await pay_in_cash(pilot, "20")
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
        await wait_for(pilot, lambda: any("No product has the code 99999" in m for m in notifications(app)))  # notify() is a message


async def test_service_down_the_register_still_sells(cashier, api: httpx.Client, live_service) -> None:
    loaf = product_in(api, "bakery")
    app = cashier()
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(pilot)
        live_service.stop()
        await identify(pilot, "020 7946 0001")
        await wait_for(pilot, lambda: app.service_state == "offline")
        await wait_for(pilot, lambda: any("not answering" in m for m in notifications(app)))  # notify() is a message
        assert "OFFLINE" in str(screen.query_one("#status-service", Label).render())
        assert screen.sale.customer is None
        await scan(pilot, loaf["sku"])
        await pilot.press("f10")
        await wait_for(pilot, lambda: isinstance(app.screen, PaymentScreen))
        await pilot.press("f9")
        await wait_for(pilot, lambda: isinstance(app.screen, ReceiptScreen))
        receipt = str(app.screen.query_one("#receipt-text", Static).render())
        assert "LOYALTY" not in receipt and "Card" in receipt


async def test_service_lost_at_payment_the_sale_is_done_and_drains_exactly_once(
    cashier, api: httpx.Client, live_service, tmp_path
) -> None:
    """Never stop the till: the receipt says points pending; the outbox delivers them once the service is back."""
    from pos_core.embedded_service import start_service
    from tests.conftest import TEST_API_KEY

    phone, before = find_customer(api, lambda s: s["balance"] > 0)
    loaf = product_in(api, "bakery")
    port = int(live_service.url.rsplit(":", 1)[1])
    app = cashier()
    async with app.run_test(size=SIZE) as pilot:
        screen = await to_payment(pilot, phone, loaf["sku"])
        sale_id = screen.sale.sale_id
        expected = screen.quote.points_earned
        live_service.stop()
        await type_text(pilot, "10")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ReceiptScreen))
        receipt = str(app.screen.query_one("#receipt-text", Static).render())
        assert "Points (pending)" in receipt and f"+{expected}" in receipt
        await wait_for(pilot, lambda: app.waiting_sales == 1 and app.service_state == "offline")
        assert "1 sale waiting" in str(screen.query_one("#status-service", Label).render())
        restarted = start_service(db_path=tmp_path / "service" / "loyalty.db", api_key=TEST_API_KEY, port=port)
        try:
            await wait_for(pilot, lambda: app.waiting_sales == 0, timeout=20)
            await wait_for(pilot, lambda: any("Every waiting sale has reached" in m for m in notifications(app)))  # notify() is a message
            recorded = api.get(f"/v1/sales/{sale_id}").json()
            assert recorded["points_earned"] == expected
            assert recorded["tender"] == [{"method": "cash", "amount": 1000}]
            after = api.get(f"/v1/accounts/{before['account_id']}").json()
            assert after["balance"] == before["balance"] + expected
        finally:
            restarted.stop()


async def test_offline_a_known_customer_shows_a_provisional_balance(
    cashier, api: httpx.Client, live_service, tmp_path
) -> None:
    from pos_core.embedded_service import start_service
    from tests.conftest import TEST_API_KEY

    phone, before = find_customer(api, lambda s: s["balance"] > 0)
    port = int(live_service.url.rsplit(":", 1)[1])
    loaf = product_in(api, "bakery")
    app = cashier()
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(pilot)
        await identify(pilot, phone)  # online: the till keeps a copy
        await wait_for(pilot, lambda: screen.sale.customer is not None)
        await pilot.press("f7")
        live_service.stop()
        await scan(pilot, loaf["sku"])
        await identify(pilot, phone)
        await wait_for(pilot, lambda: screen.sale.customer is not None)
        assert screen.sale.customer.provisional
        await wait_for(pilot, lambda: screen.quote is not None)
        assert screen.quote.estimated
        assert f"Balance ≈ {before['balance']:,} pts" in panel_text(screen, "#customer-balance")
        assert "about +" in panel_text(screen, "#points-this-sale")
        await pilot.press("f10")
        await wait_for(pilot, lambda: isinstance(app.screen, PaymentScreen))
        await pilot.press("f9")
        await wait_for(pilot, lambda: isinstance(app.screen, ReceiptScreen))
        receipt = str(app.screen.query_one("#receipt-text", Static).render())
        assert "Points (pending)" in receipt and "Balance (provisional)" in receipt
        await pilot.press("enter")
        assert app.service_state == "offline" and app.waiting_sales == 1
        assert "OFFLINE · 1 sale waiting" in str(screen.query_one("#status-service", Label).render())
        # The same customer again: the panel counts the points this till still owes them.
        await identify(pilot, phone)
        await wait_for(pilot, lambda: screen.sale.customer is not None)
        pending = screen.sale.customer.pending_points
        assert pending > 0
        assert f"Balance ≈ {before['balance'] + pending:,} pts" in panel_text(screen, "#customer-balance")
        restarted = start_service(db_path=tmp_path / "service" / "loyalty.db", api_key=TEST_API_KEY, port=port)
        try:
            await wait_for(pilot, lambda: app.waiting_sales == 0, timeout=20)
            assert api.get(f"/v1/accounts/{before['account_id']}").json()["balance"] == before["balance"] + pending
        finally:
            restarted.stop()


def fill_up(conn) -> None:
    """Make the till's file full: cap its size, then pack the sales table with tiny rows."""
    import sqlite3

    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages + 2}")
    try:
        for n in range(100_000):
            conn.execute(
                "INSERT INTO completed_sales (sale_id, completed_at, total, journal) VALUES (?, '', 0, '')", (f"f{n}",)
            )
    except sqlite3.OperationalError as error:
        assert "full" in str(error)
    else:
        raise AssertionError("the file never filled up")


async def test_a_full_disk_stops_the_sale_before_done(cashier, api: httpx.Client) -> None:
    loaf = product_in(api, "bakery")
    app = cashier()
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(pilot)
        await scan(pilot, loaf["sku"])
        outbox = app.checkout.outbox
        fill_up(outbox._conn)
        await pilot.press("f10")
        await wait_for(pilot, lambda: isinstance(app.screen, PaymentScreen))
        await pilot.press("f9")
        await wait_for(pilot, lambda: any("NOT finished" in m for m in notifications(app)))
        assert isinstance(app.screen, PaymentScreen) or isinstance(app.screen, RegisterScreen)
        assert not isinstance(app.screen, ReceiptScreen)
        assert screen.sale.basket.lines  # the sale is still open
        sale_id = screen.sale.sale_id
        assert not outbox.is_recorded(sale_id)
        # Room again (the disk was cleared): the same sale goes through, once.
        outbox._conn.execute("DELETE FROM completed_sales WHERE sale_id LIKE 'f%'")
        if isinstance(app.screen, RegisterScreen):
            await pilot.press("f10")
            await wait_for(pilot, lambda: isinstance(app.screen, PaymentScreen))
        await pilot.press("f9")
        await wait_for(pilot, lambda: isinstance(app.screen, ReceiptScreen))
        assert outbox.is_recorded(sale_id)


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
        await wait_for(pilot, lambda: any("no theme called 'no-such-theme'" in m for m in notifications(app)))  # notify() is a message


async def test_help_lists_every_key_as_bound_now(cashier) -> None:
    app = cashier(keymap={"register.pay": "f11"})
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("f1")
        await wait_for(pilot, lambda: app.screen.query(".help-key"))
        keys = [str(label.render()) for label in app.screen.query(".help-key")]
        assert any("F11" in line and "Take payment" in line for line in keys)
        assert any("F9" in line and "manager's PIN" in line for line in keys)
        assert any("^T" in line and "training mode" in line for line in keys)
        assert not any("F10" in line and "Take payment" in line for line in keys)
        await type_text(pilot, "manager")
        shown = [label for label in app.screen.query(".help-key") if label.display]
        # The points adjustment (F9) and the manager screen (Ctrl+B) need a manager; nothing else does.
        assert sorted(str(label.render()).split()[0] for label in shown) == ["F9", "^B"]
