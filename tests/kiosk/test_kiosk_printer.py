"""The kiosk prints the shopper's receipt at its thank-you, on a network printer played by a TCP
listener on loopback, without holding the thank-you for it."""

from __future__ import annotations

import httpx

from pos_core.settings import PrinterSettings
from tests.app.conftest import product_in, wait_for
from tests.kiosk.conftest import kiosk_ready
from tests.kiosk.test_kiosk_flows import SIZE, pay_by_card, scan
from tests.printer_listener import PrinterListener


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
