"""E-mailed receipts at the kiosk (Pilot, 80×24, a real service on loopback): a shopper joins
with an e-mail address and "E-mail me my receipts" (a bad address refused in plain words first);
paying, they see "E-mail my receipt to S•••@example.org" ticked as their standing choice, and the
thank-you says where it went; unticked for the next shop, nothing is e-mailed. Only the masked
address is ever on the screen."""

from __future__ import annotations

from pathlib import Path

import httpx
from textual.widgets import Checkbox, Input

from selfcheckout.screens.join import JoinScreen
from selfcheckout.screens.kiosk_payment import KioskPaymentScreen
from selfcheckout.screens.thank_you import ThankYouScreen
from tests.app.conftest import product_in, wait_for
from tests.app.test_register_email_receipt import screen_text
from tests.conftest import live_service_db
from tests.kiosk.conftest import kiosk_ready
from tests.kiosk.test_kiosk_flows import SIZE, label, scan, type_phone
from tests.service.stored import rows

MASKED = "S•••@example.org"


async def pay_by_card_choosing(pilot, email: bool) -> ThankYouScreen:  # noqa: ANN001
    """Pay, with "E-mail my receipt" ticked or not: the thank-you screen once composed."""
    app = pilot.app
    await pilot.click("#pay")
    paying = await wait_for(pilot, lambda: isinstance(app.screen, KioskPaymentScreen) and app.screen.query(Checkbox)
                            and app.screen)
    box = paying.query_one("#pay-email-receipt", Checkbox)
    assert str(box.label) == f"E-mail my receipt to {MASKED}"
    assert box.value  # their standing choice, said before they pay
    if not email:
        await pilot.click("#pay-email-receipt")
        await wait_for(pilot, lambda: paying.email_receipt is False)
    await pilot.click("#pay-card")
    return await wait_for(pilot, lambda: isinstance(app.screen, ThankYouScreen) and app.screen.query(".title")
                          and app.screen)


async def test_a_shopper_joins_with_an_email_and_chooses_at_each_payment(kiosk, api: httpx.Client, tmp_path: Path) -> None:
    loaf = product_in(api, "bakery")
    app = kiosk()
    async with app.run_test(size=SIZE) as pilot:
        await kiosk_ready(pilot)
        await pilot.click("#welcome-phone")
        await type_phone(pilot, "02079460995")
        join = await wait_for(pilot, lambda: isinstance(app.screen, JoinScreen) and app.screen)
        await pilot.press(*"Sam Taylor")
        join.query_one("#join-email", Input).value = "sam.taylor@"
        await pilot.click("#join-terms")
        await pilot.click("#join-email-receipts")
        await wait_for(pilot, lambda: join.query_one("#join-email-receipts", Checkbox).value)
        await pilot.click("#join-ok")
        await wait_for(pilot, lambda: "Please check your e-mail address" in label(app, "#join-problem"))
        assert app.sale.customer is None
        join.query_one("#join-email", Input).value = "Sam.Taylor@Example.ORG"
        await pilot.click("#join-ok")
        await wait_for(pilot, lambda: app.sale is not None and app.sale.customer is not None)
        assert (app.sale.customer.email_masked, app.sale.customer.email_receipts) == (MASKED, True)
        await scan(pilot, loaf["sku"])
        await wait_for(pilot, lambda: app.sale.basket.lines)
        thanks = await pay_by_card_choosing(pilot, email=True)
        emailed = thanks.done.sale.sale_id
        assert label(app, "#thanks-emailed") == f"Receipt e-mailed to {MASKED}"
        assert thanks.query_one("#thanks-emailed").region.bottom <= SIZE[1]  # on screen at 80×24
        assert "Sam.Taylor" not in screen_text(app) and "sam.taylor" not in screen_text(app)
        await pilot.click("#welcome-body")  # the next shop: the same member, paper only this time
        await pilot.click("#welcome-phone")
        await type_phone(pilot, "02079460995")
        await wait_for(pilot, lambda: app.sale is not None and app.sale.customer is not None)
        await scan(pilot, loaf["sku"])
        await wait_for(pilot, lambda: app.sale.basket.lines)
        thanks = await pay_by_card_choosing(pilot, email=False)
        paper_only = thanks.done.sale.sale_id
        assert not thanks.query("#thanks-emailed")
    queued = rows(live_service_db(tmp_path), "SELECT sale_id, address FROM receipt_emails ORDER BY sale_id")
    assert queued == [(emailed, "Sam.Taylor@example.org")] and paper_only != emailed
