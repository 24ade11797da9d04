"""The kiosk prints the shopper's receipt at its thank-you, on a network printer played by a TCP
listener on loopback, without holding the thank-you for it; a printer that cannot print is told to
the shopper (welcome, thank-you) and to staff, who reprint from Call assistance."""

from __future__ import annotations

import httpx
from textual.widgets import Button, Label

from pos_core.settings import PrinterSettings
from tests.app.conftest import product_in, wait_for
from tests.kiosk.conftest import kiosk_ready
from tests.kiosk.test_kiosk_flows import SIZE, pay_by_card, scan
from selfcheckout.screens.assistance import AssistanceScreen
from selfcheckout.screens.welcome import WelcomeScreen
from tests.printer_listener import NO_PAPER, PAPER_OK, PrinterListener


async def test_the_kiosk_prints_the_receipt_at_its_thank_you(kiosk, api: httpx.Client) -> None:
    loaf = product_in(api, "bakery")
    with PrinterListener() as printer:
        app = kiosk(printer=PrinterSettings(connection=printer.url))
        async with app.run_test(size=SIZE) as pilot:
            await kiosk_ready(pilot)
            await scan(pilot, loaf["sku"])
            await wait_for(pilot, lambda: app.sale is not None and app.sale.basket.lines)
            await pay_by_card(pilot)
            await wait_for(pilot, lambda: printer.receipts() and b"\x1dV" in printer.receipts()[0])
            paper = printer.receipts()[0]
            price = f"£{loaf['unit_price'] / 100:.2f}".encode("cp858")
            assert b"\x1b@\x1bt\x13" in paper and loaf["name"].encode("cp858") in paper
            assert b"TOTAL" in paper and price in paper and b"Thank you for shopping with us" in paper
            assert b"\x1bp" not in paper  # paid by card: the kiosk has no drawer to open


def shown(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Label).render())


async def test_a_printer_out_of_paper_is_told_to_shoppers_and_staff_and_staff_reprint(kiosk, api: httpx.Client) -> None:
    loaf = product_in(api, "bakery")
    with PrinterListener(paper=NO_PAPER) as printer:
        app = kiosk(printer=PrinterSettings(connection=printer.url, timeout=1))
        async with app.run_test(size=(100, 30)) as pilot:
            await kiosk_ready(pilot)
            # The shopper is told before they shop; staff walking by read what is wrong.
            await wait_for(pilot, lambda: app.screen.query_one("#welcome-no-receipts", Label).display)
            assert shown(app, "#staff-attention") == "Staff: Printer: OUT OF PAPER."
            await scan(pilot, loaf["sku"])
            await wait_for(pilot, lambda: app.sale is not None and app.sale.basket.lines)
            thanks = await pay_by_card(pilot)
            # The receipt is kept, and the thank-you says so instead of pointing at an empty slot.
            await wait_for(pilot, lambda: app.printer_status.kept == 1)
            await wait_for(pilot, lambda: thanks.query_one("#thanks-no-receipt", Label).display)
            assert "ask a member of staff" in str(thanks.query_one("#thanks-no-receipt", Label).render())
            await pilot.click("#thanks-no-receipt")
            await wait_for(pilot, lambda: isinstance(app.screen, WelcomeScreen))
            await wait_for(pilot, lambda: "1 receipt not printed (Call assistance reprints)" in shown(app, "#staff-attention"))

            printer.paper = PAPER_OK  # staff load a roll
            await pilot.click("#assist")
            await wait_for(pilot, lambda: isinstance(app.screen, AssistanceScreen))
            assert app.screen.query_one("#staff-reprint", Button).disabled  # not before the PIN
            for digit in app.settings.kiosk.staff_pin:
                await pilot.click(f"#key-{digit}")
            await pilot.click("#pin-ok")
            await wait_for(pilot, lambda: "1 receipt not printed" in shown(app, "#staff-printer"))
            await pilot.click("#staff-reprint")
            await wait_for(pilot, lambda: any(b"\x1dV" in paper for paper in printer.receipts()))
            assert any(loaf["name"].encode("cp858") in paper for paper in printer.receipts())
            await wait_for(pilot, lambda: app.printer_status.kept == 0 and app.printer_status.state == "ready")
            await wait_for(pilot, lambda: isinstance(app.screen, WelcomeScreen)
                           and not app.screen.query_one("#staff-attention", Label).display
                           and not app.screen.query_one("#welcome-no-receipts", Label).display)


async def test_a_kiosk_without_a_printer_says_nothing_about_receipts(kiosk) -> None:
    app = kiosk()
    async with app.run_test(size=(100, 30)) as pilot:
        await kiosk_ready(pilot)
        assert not app.screen.query_one("#welcome-no-receipts", Label).display
        await pilot.click("#assist")
        await wait_for(pilot, lambda: isinstance(app.screen, AssistanceScreen))
        assert not app.screen.query("#staff-reprint")
