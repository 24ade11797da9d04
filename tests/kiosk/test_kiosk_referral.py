"""Joining at the kiosk with a friend's referral code (Pilot, 80×24, a real service): the first
qualifying shop pays both bonuses, and the thank-you shows the bonus and the new member's own
code to pass on."""

from __future__ import annotations

import httpx
from textual.widgets import Checkbox, Input

from selfcheckout.screens.join import JoinScreen
from tests.app.conftest import wait_for
from tests.app.wedge_keys import scanner_burst
from tests.kiosk.conftest import kiosk_ready
from tests.kiosk.test_kiosk_flows import SIZE, label, pay_by_card, scan, type_phone
from tests.service.api_calls import ALICE_ID

NEW = "02079460997"


async def test_a_shopper_joins_with_a_friend_s_code_and_both_get_the_bonus(kiosk, api: httpx.Client) -> None:
    alice = api.get(f"/v1/accounts/{ALICE_ID}").json()
    app = kiosk()
    async with app.run_test(size=SIZE) as pilot:
        await kiosk_ready(pilot)
        await pilot.click("#welcome-phone")
        await type_phone(pilot, NEW)
        await wait_for(pilot, lambda: isinstance(app.screen, JoinScreen))
        await pilot.press(*"Sam Taylor")
        app.screen.query_one("#join-referral", Input).focus()
        await pilot.press(*alice["referral_code"].replace("-", ""))
        field = app.screen.query_one("#join-referral", Input)
        await wait_for(pilot, lambda: len(field.value) == 8)
        await pilot.click("#join-terms")
        await wait_for(pilot, lambda: app.screen.query_one("#join-terms", Checkbox).value)
        await pilot.click("#join-ok")
        await wait_for(pilot, lambda: app.sale is not None and app.sale.customer is not None)
        own_code = app.sale.customer.referral_code
        assert own_code not in (None, alice["referral_code"])
        await scan(pilot, "1031")  # red wine, £8.99, twice: over the demo's £10.00 first purchase
        await scan(pilot, "1031")
        await wait_for(pilot, lambda: len(app.sale.basket.lines) and app.sale.basket.lines[0].quantity == 2)
        thanks = await pay_by_card(pilot)
        assert thanks.done.loyalty is not None and thanks.done.loyalty.referral_points == 100
        assert "+100 referral bonus" in label(app, "#thanks-points")
        assert label(app, "#thanks-referral") == f"Invite a friend with your code {own_code}"
        assert app.screen.query_one("#thanks-referral").region.bottom <= SIZE[1]  # on screen at 80×24
    assert api.get(f"/v1/accounts/{ALICE_ID}").json()["balance"] == alice["balance"] + 200


async def test_a_friend_s_code_scanned_at_the_join_screen_fills_its_field(kiosk, api: httpx.Client) -> None:
    """The friend shows their REF- code (app or paper receipt) to the kiosk's scanner: it lands in the
    referral field, wherever the focus is, and is not taken for a product."""
    code = api.get(f"/v1/accounts/{ALICE_ID}").json()["referral_code"]
    app = kiosk()
    async with app.run_test(size=SIZE) as pilot:
        await kiosk_ready(pilot)
        await pilot.click("#welcome-phone")
        await type_phone(pilot, "02079460996")
        await wait_for(pilot, lambda: isinstance(app.screen, JoinScreen))
        await pilot.press(*"Ria Patel")  # the focus is on the name
        await scanner_burst(pilot, f"REF-{code}")
        field = app.screen.query_one("#join-referral", Input)
        await wait_for(pilot, lambda: field.value.replace("-", "") == code.replace("-", ""))
        assert app.screen.query_one("#join-name", Input).value == "Ria Patel"  # the scan did not land there
        assert app.sale is None or not app.sale.basket.lines
