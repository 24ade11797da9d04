"""Every path a shopper takes through the kiosk, with the service's balance checked after each sale."""

from __future__ import annotations

import time
from decimal import Decimal
from math import floor
from pathlib import Path

import httpx
from textual.css.query import NoMatches
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, Label

from selfcheckout.screens.assistance import AssistanceScreen
from selfcheckout.screens.join import JoinScreen
from selfcheckout.screens.kiosk_payment import KioskPaymentScreen
from selfcheckout.screens.phone_keypad import PhoneKeypadScreen
from selfcheckout.screens.reward_offer import RewardOfferScreen
from selfcheckout.screens.shopping import ShoppingScreen
from selfcheckout.screens.still_there import StillThereScreen
from selfcheckout.screens.thank_you import ThankYouScreen
from selfcheckout.screens.welcome import WelcomeScreen
from tests.app.conftest import product_in, wait_for
from tests.app.wedge_keys import scanner_burst
from tests.conftest import live_service_db, told
from tests.kiosk.conftest import kiosk_ready
from tests.service.stored import rows

SIZE = (80, 24)
ALICE = "02079460001"  # Silver, 640 points: can use the £5 reward


def label(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Label).render())


def label_now(app, selector: str) -> str:
    """The label's text, or "" while its widget is being composed again (a new customer)."""
    try:
        return label(app, selector)
    except NoMatches:
        return ""


async def scan(pilot: Pilot, code: str) -> None:
    await pilot.press(*code, "enter")


async def type_phone(pilot: Pilot, number: str) -> None:
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, PhoneKeypadScreen))
    await pilot.press(*number)
    await pilot.press("enter")


async def sign_in_by_phone(pilot: Pilot, number: str = ALICE) -> None:
    """From the welcome screen: the phone keypad, the number, and the shopping screen with them on."""
    await pilot.click("#welcome-phone")
    await type_phone(pilot, number)
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ShoppingScreen) and pilot.app.sale.customer is not None)


async def pay_by_card(pilot: Pilot) -> ThankYouScreen:
    await pilot.click("#pay")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, KioskPaymentScreen))
    await pilot.click("#pay-card")
    # The screen once it is composed: a busy machine can show it a frame before its children.
    return await wait_for(pilot, lambda: isinstance(pilot.app.screen, ThankYouScreen) and pilot.app.screen.query(".title")
                          and pilot.app.screen)


def balance(api: httpx.Client, phone: str) -> dict:
    return api.post("/v1/identify", json={"method": "phone", "value": phone}).json()


async def test_qr_or_phone_at_start_then_the_reward_accepted(kiosk, api: httpx.Client) -> None:
    before = balance(api, ALICE)
    drink, loaf = product_in(api, "hot_drinks"), product_in(api, "bakery")
    app = kiosk()
    async with app.run_test(size=SIZE) as pilot:
        await kiosk_ready(pilot)
        await sign_in_by_phone(pilot)
        assert "Hi Alice! Silver member" in label(app, "#hello")
        await scan(pilot, drink["sku"])
        await scan(pilot, f"2*{loaf['sku']}")
        subtotal = drink["unit_price"] + 2 * loaf["unit_price"]
        await pilot.click("#pay")
        offer = await wait_for(pilot, lambda: isinstance(app.screen, RewardOfferScreen) and app.screen)
        assert "£5 off your shop" in label(app, ".title")
        assert f"£{(subtotal - 500) / 100:.2f}" in label(app, "#offer-total")
        await pilot.click("#offer-yes")
        await wait_for(pilot, lambda: isinstance(app.screen, KioskPaymentScreen))
        await pilot.click("#pay-card")
        thanks = await wait_for(pilot, lambda: isinstance(app.screen, ThankYouScreen) and app.screen)
        points = floor(Decimal(subtotal - 500) * Decimal("1.25") / 100)
        assert f"+{points} points" in label(app, "#thanks-points")
        assert thanks.done.loyalty.points_redeemed == 500
    assert balance(api, ALICE)["balance"] == before["balance"] - 500 + points


async def test_app_qr_scanned_at_the_welcome_signs_in(kiosk, api: httpx.Client) -> None:
    alice = balance(api, ALICE)
    token = api.post(f"/v1/accounts/{alice['account_id']}/qr-token", json={}).json()["token"]
    app = kiosk()
    async with app.run_test(size=SIZE) as pilot:
        await kiosk_ready(pilot)
        await scanner_burst(pilot, token)  # the kiosk's handheld scanner reads the phone's screen
        await wait_for(pilot, lambda: isinstance(app.screen, ShoppingScreen) and app.sale.customer is not None)
        assert app.sale.customer.account_id == alice["account_id"]
        assert "Hi Alice!" in label(app, "#hello")
        assert app.screen.query_one("#scan-input", Input).value == ""
        # The same code shown again (a screenshot) is refused in plain words, and nothing changes.
        await scanner_burst(pilot, token)
        await wait_for(pilot, lambda: any("refresh it in the app" in m for m in told(app)))


async def test_a_payment_card_at_the_kiosk_points_to_the_card_reader(kiosk) -> None:
    app = kiosk()
    async with app.run_test(size=SIZE) as pilot:
        await kiosk_ready(pilot)
        await scanner_burst(pilot, ";4111111111111111=29121010000000000?")
        await wait_for(pilot, lambda: any("payment terminal" in m for m in told(app)))
        assert app.sale is None and isinstance(app.screen, WelcomeScreen)


async def test_phone_at_the_end_and_the_reward_declined(kiosk, api: httpx.Client) -> None:
    before = balance(api, ALICE)
    loaf = product_in(api, "bakery")
    app = kiosk()
    async with app.run_test(size=SIZE) as pilot:
        await kiosk_ready(pilot)
        await pilot.click("#welcome-skip")
        await wait_for(pilot, lambda: isinstance(app.screen, ShoppingScreen))
        await scan(pilot, f"3*{loaf['sku']}")
        await pilot.click("#add-rewards")
        await type_phone(pilot, ALICE)
        await wait_for(pilot, lambda: isinstance(app.screen, RewardOfferScreen))
        await pilot.click("#offer-no")
        await wait_for(pilot, lambda: isinstance(app.screen, ShoppingScreen) and app.quote is not None)
        await pilot.click("#pay")
        await wait_for(pilot, lambda: isinstance(app.screen, KioskPaymentScreen))  # no second offer
        await pilot.click("#pay-card")
        thanks = await wait_for(pilot, lambda: isinstance(app.screen, ThankYouScreen) and app.screen)
        points = floor(Decimal(3 * loaf["unit_price"]) * Decimal("1.25") / 100)
        assert thanks.done.loyalty.points_earned == points and thanks.done.loyalty.points_redeemed == 0
        assert label(app, "#thanks-next").startswith("Only ")
    assert balance(api, ALICE)["balance"] == before["balance"] + points


async def test_continue_without_signing_in(kiosk, api: httpx.Client) -> None:
    loaf = product_in(api, "bakery")
    app = kiosk()
    async with app.run_test(size=SIZE) as pilot:
        await kiosk_ready(pilot)
        await scan(pilot, loaf["ean"])  # scanning on the welcome screen starts the shop
        await wait_for(pilot, lambda: isinstance(app.screen, ShoppingScreen))
        assert [line.product.sku for line in app.sale.basket.lines] == [loaf["sku"]]
        thanks = await pay_by_card(pilot)
        assert thanks.done.loyalty is None
        assert thanks.done.sale.customer is None
        assert any("sign in to rewards" in str(shown.render()) for shown in app.screen.query(Label))
        await pilot.click("#welcome-body")
        await wait_for(pilot, lambda: isinstance(app.screen, WelcomeScreen))
        assert app.sale is None


async def test_an_unknown_phone_joins_in_one_screen(kiosk, api: httpx.Client, tmp_path: Path) -> None:
    app = kiosk()
    async with app.run_test(size=SIZE) as pilot:
        await kiosk_ready(pilot)
        await pilot.click("#welcome-phone")
        await type_phone(pilot, "02079460999")
        await wait_for(pilot, lambda: isinstance(app.screen, JoinScreen))
        await pilot.press(*"Sam Taylor")
        name = app.screen.query_one("#join-name", Input)
        await wait_for(pilot, lambda: name.value == "Sam Taylor")  # typed keys pass the scanner filter
        await pilot.click("#join-ok")
        assert "agree to the terms" in label(app, "#join-problem")
        await pilot.click("#join-terms")
        await wait_for(pilot, lambda: app.screen.query_one("#join-terms", Checkbox).value)
        await pilot.click("#join-ok")
        await wait_for(pilot, lambda: app.sale is not None and app.sale.customer is not None)
        assert app.sale.customer.display_name == "Sam T."
    summary = balance(api, "02079460999")
    assert summary["display_name"] == "Sam T."
    # The consent is recorded as given at the kiosk.
    assert rows(live_service_db(tmp_path), "SELECT given_at, terminal_id FROM consents WHERE account_id = ?",
                (summary["account_id"],)) == [("kiosk", "kiosk-1")]


async def test_a_wrong_number_is_refused_on_the_keypad(kiosk) -> None:
    app = kiosk()
    async with app.run_test(size=SIZE) as pilot:
        await kiosk_ready(pilot)
        await pilot.click("#welcome-phone")
        await type_phone(pilot, "12345")
        assert isinstance(app.screen, PhoneKeypadScreen)
        assert "doesn't look right" in label(app, "#phone-problem")


async def test_idle_shopper_is_asked_then_the_kiosk_resets(kiosk, api: httpx.Client) -> None:
    loaf = product_in(api, "bakery")
    app = kiosk(idle_seconds=60, still_there_seconds=4)

    def shopper_idle() -> None:
        # The shopper's last touch a long time ago, instead of a test that waits a minute (or
        # one with a 1-second idle that a loaded machine trips while the test is still typing).
        app.last_touch = time.monotonic() - 3600

    async with app.run_test(size=SIZE) as pilot:
        await kiosk_ready(pilot)
        await sign_in_by_phone(pilot)
        await scan(pilot, loaf["sku"])
        await wait_for(pilot, lambda: app.sale is not None and app.sale.basket.lines)
        assert not isinstance(app.screen, StillThereScreen)  # a shopper who just touched is not idle
        shopper_idle()
        await wait_for(pilot, lambda: isinstance(app.screen, StillThereScreen))
        await pilot.click("#still-here")  # still here: nothing lost
        assert app.sale.customer is not None and app.sale.basket.lines
        shopper_idle()
        await wait_for(pilot, lambda: isinstance(app.screen, StillThereScreen))
        await wait_for(pilot, lambda: isinstance(app.screen, WelcomeScreen))
    assert app.sale is None  # privacy: the name and the basket are gone


async def test_removing_an_item_needs_the_staff_pin(kiosk, api: httpx.Client) -> None:
    loaf, drink = product_in(api, "bakery"), product_in(api, "hot_drinks")
    app = kiosk(staff_pin="4321")
    async with app.run_test(size=SIZE) as pilot:
        await kiosk_ready(pilot)
        await pilot.click("#welcome-skip")
        await wait_for(pilot, lambda: isinstance(app.screen, ShoppingScreen))
        await scan(pilot, loaf["sku"])
        await scan(pilot, drink["sku"])
        await pilot.click("#remove-item")
        await wait_for(pilot, lambda: isinstance(app.screen, AssistanceScreen))
        assert app.screen.query_one("#staff-remove_item").disabled
        for key in "1111":
            await pilot.click(f"#key-{key}")
        await pilot.click("#pin-ok")
        assert "not right" in label(app, "#pin-problem")
        assert len(app.sale.basket.lines) == 2
        for key in "4321":
            await pilot.click(f"#key-{key}")
        await pilot.click("#pin-ok")
        await pilot.click("#staff-remove_item")
        await wait_for(pilot, lambda: len(app.sale.basket.lines) == 1)
        assert app.sale.basket.lines[0].product.sku == loaf["sku"]


async def test_clicks_alone_drive_a_whole_shop(kiosk, api: httpx.Client) -> None:
    """A touch screen: every step by clicking (the items come from the scanner)."""
    before = balance(api, ALICE)
    loaf = product_in(api, "bakery")
    app = kiosk()
    async with app.run_test(size=SIZE) as pilot:
        await kiosk_ready(pilot)
        await pilot.click("#welcome-phone")
        await wait_for(pilot, lambda: isinstance(app.screen, PhoneKeypadScreen))
        for digit in ALICE:
            await pilot.click(f"#key-{digit}")
        assert str(app.screen.query_one("#phone-shown", Label).render()) == "020 7946 0001"
        await pilot.click("#phone-ok")
        await wait_for(pilot, lambda: app.sale is not None and app.sale.customer is not None)
        app.screen.query_one("#scan-input", Input).focus()
        await scan(pilot, f"2*{loaf['sku']}")
        await pilot.click("#pay")
        await wait_for(pilot, lambda: isinstance(app.screen, RewardOfferScreen))
        await pilot.click("#offer-no")  # declined during Pay: straight on to payment
        await wait_for(pilot, lambda: isinstance(app.screen, KioskPaymentScreen))
        await pilot.click("#pay-card")
        thanks = await wait_for(pilot, lambda: isinstance(app.screen, ThankYouScreen) and app.screen)
        earned = thanks.done.loyalty.points_earned
    assert balance(api, ALICE)["balance"] == before["balance"] + earned


async def test_with_the_service_down_the_shopper_still_pays_and_is_told_plainly(
    kiosk, api: httpx.Client, live_service
) -> None:
    """Never stop the till, at the kiosk: known shopper from the kiosk's cache, sale saved, points later."""
    from pos_core.embedded_service import start_service
    from tests.conftest import TEST_API_KEY

    before = balance(api, ALICE)
    loaf = product_in(api, "bakery")
    port = int(live_service.url.rsplit(":", 1)[1])
    app = kiosk()
    async with app.run_test(size=SIZE) as pilot:
        await kiosk_ready(pilot)
        await sign_in_by_phone(pilot)  # online once: the kiosk keeps a copy of the shopper
        app.reset()
        live_service.stop()
        await sign_in_by_phone(pilot)
        assert app.sale.customer.provisional
        assert "about" in label(app, "#hello")
        await scan(pilot, f"2*{loaf['sku']}")
        thanks = await pay_by_card(pilot)
        assert thanks.done.points_pending
        assert "on the way" in label(app, "#thanks-points")
        shown = " ".join(str(w.render()) for w in app.screen.query(Label))
        assert "Error" not in shown and "503" not in shown and "Traceback" not in shown
        expected = thanks.done.points_expected
        back = start_service(db_path=live_service.log_path.parent / "loyalty.db", api_key=TEST_API_KEY, port=port)
        try:
            assert await app.checkout.sender.drain(timeout=20)
        finally:
            back.stop()
        assert expected == floor(Decimal(2 * loaf["unit_price"]) * Decimal("1.25") / 100)
    with_points = before["balance"] + expected
    back = start_service(db_path=live_service.log_path.parent / "loyalty.db", api_key=TEST_API_KEY, port=port)
    try:
        with httpx.Client(base_url=back.url, headers={"Authorization": f"Bearer {TEST_API_KEY}"}) as client:
            assert balance(client, ALICE)["balance"] == with_points
    finally:
        back.stop()


async def test_points_changed_elsewhere_show_while_the_shopper_is_signed_in(kiosk, api: httpx.Client) -> None:
    before = balance(api, ALICE)
    app = kiosk()
    async with app.run_test(size=SIZE) as pilot:
        await kiosk_ready(pilot)
        await sign_in_by_phone(pilot)
        await wait_for(pilot, lambda: f"{before['balance']:,} points" in label_now(app, "#hello"))
        await wait_for(pilot, lambda: app.session.following == before["account_id"])
        # The shopper's points change elsewhere (a till, the app) while they shop.
        answer = api.post(f"/v1/accounts/{before['account_id']}/adjustments", json={
            "points": 250, "reason": "birthday bonus", "manager_pin": "135790", "terminal_id": "till-7"})
        assert answer.status_code == 201, answer.text
        now = before["balance"] + 250
        await wait_for(pilot, lambda: f"{now:,} points" in label_now(app, "#hello"), timeout=2.0)
        assert app.sale.customer.balance == now
        # The next shopper starts clean: the last one's account is no longer followed.
        app.reset()
        await wait_for(pilot, lambda: app.session.following is None)
