"""Referrals at the register (Pilot, 80×24, a real service): a friend's code typed on the
enrolment form, or scanned (``REF-…``) into it, reaches the service and the new member has their
own code; a code nobody has is refused in plain words with nobody enrolled; and a referrer's
bonus, paid by their friend's purchase elsewhere, arrives on their live panel."""

from __future__ import annotations

from pathlib import Path

import httpx
from textual.widgets import Input

from cashier_tui.screens.enrol import EnrolScreen
from tests.app.conftest import wait_for
from tests.app.test_register_flow import SIZE, identify, ready, type_text
from tests.app.wedge_keys import scanner_burst
from tests.conftest import live_service_db, told
from tests.app.test_live_updates import balance_shown, identified
from tests.service.api_calls import ALICE_ID, ALICE_PHONE, line, post_sale, sale_body
from tests.service.stored import rows


async def enrol_with_code(pilot, phone: str, code: str, *, scanned: bool = False) -> None:  # noqa: ANN001
    app = pilot.app
    await identify(pilot, phone)
    await wait_for(pilot, lambda: isinstance(app.screen, EnrolScreen))
    await type_text(pilot, "Sam Taylor")
    field = app.screen.query_one("#enrol-referral", Input)
    if scanned:  # a scanner burst wherever the focus is: the wedge reads it, the form takes it
        await scanner_burst(pilot, f"REF-{code}")
        await wait_for(pilot, lambda: field.value == code)
        assert app.screen.query_one("#enrol-name", Input).value == "Sam Taylor"
    else:
        field.focus()
        await type_text(pilot, code)
    await pilot.click("#enrol-terms")
    await pilot.click("#enrol-ok")


async def test_a_new_member_enrols_with_a_friend_s_code(cashier, api: httpx.Client, tmp_path: Path) -> None:
    alice_code = api.get(f"/v1/accounts/{ALICE_ID}").json()["referral_code"]
    app = cashier()
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(pilot)
        await enrol_with_code(pilot, "02079460998", "QQQQ-QQQQ")  # a well-formed code nobody has
        await wait_for(pilot, lambda: any("No member has that referral code" in n for n in told(app)))
        assert screen.sale.customer is None
        await enrol_with_code(pilot, "02079460998", alice_code, scanned=True)
        await wait_for(pilot, lambda: screen.sale.customer is not None)
        customer = screen.sale.customer
        assert customer.referral_code not in (None, alice_code)
    assert rows(live_service_db(tmp_path), "SELECT referee_id, referrer_id, status FROM referrals") == [
        (customer.account_id, ALICE_ID, "pending")]


async def test_the_referrer_s_bonus_arrives_on_their_live_panel(cashier, api: httpx.Client) -> None:
    alice = api.get(f"/v1/accounts/{ALICE_ID}").json()
    app = cashier()
    async with app.run_test(size=SIZE) as pilot:
        screen = await identified(pilot, ALICE_PHONE, alice["balance"])
        # Her friend joins with her code at another till and makes a first qualifying purchase.
        friend = api.post("/v1/accounts", json={
            "phone": "020 7946 0996", "name": "Ria Patel", "consent": {"terms_version": "2026-01", "marketing": False},
            "store_id": "demo-store", "terminal_id": "till-7", "referral_code": alice["referral_code"]}).json()
        paid = post_sale(api, sale_body(api, friend["account_id"], [line(api, "1031", 2)])).json()
        assert paid["referral_points"] == 100
        expected = alice["balance"] + 200
        await wait_for(pilot, lambda: f"{expected:,} pts" in balance_shown(screen), timeout=5.0)
        assert screen.sale.customer.balance == expected
