"""E-mailed receipts at the register (Pilot, 80×24, one real service on loopback with a public URL
for the module): enrolment with an e-mail address and "E-mail me my receipts" (a bad address
refused in plain words first), Ctrl+E for one sale to an address typed for it (the service queues
that very address), and the paper with the receipt page's QR code read back with zxing-cpp beside
the receipt number's own. Only the masked address is ever on a screen or on paper."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import numpy as np
import pytest
from textual.widgets import Checkbox, Input

from cashier_tui.app import make_app
from cashier_tui.screens.email_receipt import EmailReceiptScreen
from cashier_tui.screens.enrol import EnrolScreen
from cashier_tui.widgets.loyalty_panel import LoyaltyPanel
from devices.barcode_decoder import ZxingDecoder
from pos_core.embedded_service import RunningService, start_service
from pos_core.receipt import receipt_number
from pos_core.settings import PrinterSettings, Settings
from tests.app.conftest import fixed_checkout, wait_for
from tests.app.test_register_flow import SIZE, identify, pay_in_cash, ready, type_text
from tests.app.test_register_return import rung_up_for_alice
from tests.conftest import TEST_API_KEY, told
from tests.printer_listener import PrinterListener
from tests.service.stored import rows
from tests.till_keys import till_key

PUBLIC_URL = "https://receipts.example.com"
TYPED = "Sam.Taylor@Example.ORG"
SAM_MASKED = "S•••@example.org"


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    folder = tmp_path_factory.mktemp("email-receipt-service")
    running = start_service(db_path=folder / "loyalty.db", api_key=TEST_API_KEY, log_path=folder / "service.log",
                            extra_args=("--public-url", PUBLIC_URL))
    _databases[running.url] = folder / "loyalty.db"
    try:
        yield running
    finally:
        running.stop()


_databases: dict[str, Path] = {}


def service_db(service: RunningService) -> Path:
    return _databases[service.url]


def register(service: RunningService, tmp_path: Path, prefix: str, **settings):  # noqa: ANN201
    config = Settings(api_url=service.url, api_key="", data_dir=tmp_path / "till", **settings)
    config = replace(config, api_key=till_key(service_db(service), config.store_id, config.terminal_id))
    return make_app(config, checkout=fixed_checkout(config, prefix))


def panel_says(screen) -> str:  # noqa: ANN001
    """The customer panel's line about the receipt by e-mail (drawn, wrapped to the panel)."""
    return screen.query_one(LoyaltyPanel).drawn_text("panel-receipt-email") or ""


def screen_text(app) -> str:  # noqa: ANN001
    """Every character on the screen now, with the notices given (the cashier saw them too)."""
    update = app.screen._compositor.render_update(full=True)
    return "\n".join("".join(strip.text for strip in line) for line in update.strips) + "\n" + "\n".join(told(app))


async def test_enrolment_takes_an_email_and_the_choice_a_bad_address_refused_plainly(service, tmp_path) -> None:
    app = register(service, tmp_path, "00000000-0000-4000-8001-")
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(pilot)
        await identify(pilot, "020 7946 0990")
        await wait_for(pilot, lambda: isinstance(app.screen, EnrolScreen))
        form = app.screen
        await type_text(pilot, "Jo Smith")
        form.query_one("#enrol-email", Input).focus()
        await type_text(pilot, "jo.smith@@example")
        await pilot.click("#enrol-terms")
        await pilot.click("#enrol-email-receipts")
        await pilot.click("#enrol-ok")
        await wait_for(pilot, lambda: "not an e-mail address" in screen_text(app))
        assert app.screen is form and screen.sale.customer is None  # nothing was sent
        assert form.query_one("#enrol-ok").region.bottom <= SIZE[1]  # the problem said, the form still fits
        form.query_one("#enrol-email", Input).value = "Jo.Smith@Example.COM"
        assert form.query_one("#enrol-email-receipts", Checkbox).value and form.query_one("#enrol-email").has_focus
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.sale.customer is not None)
        customer = screen.sale.customer
        assert (customer.email_masked, customer.email_receipts) == ("J•••@example.com", True)
        await wait_for(pilot, lambda: panel_says(screen) == "Receipt will be e-mailed to J•••@example.com")
        assert "Their receipts will be e-mailed to J•••@example.com." in " ".join(told(app))
        assert "Jo.Smith@" not in screen_text(app) and "jo.smith@" not in screen_text(app).lower()
    assert rows(service_db(service), "SELECT email, email_receipts FROM accounts WHERE account_id = ?",
                (customer.account_id,)) == [("Jo.Smith@example.com", 1)]


async def test_one_sale_s_receipt_e_mailed_to_a_typed_address_with_the_page_s_qr_on_paper(service, tmp_path) -> None:
    with PrinterListener() as printer:
        app = register(service, tmp_path, "00000000-0000-4000-8002-",
                       printer=PrinterSettings(connection=printer.url, qr="image"))
        async with app.run_test(size=SIZE) as pilot:
            screen = await rung_up_for_alice(pilot, "1005")
            await pilot.press("ctrl+e")
            await wait_for(pilot, lambda: isinstance(app.screen, EmailReceiptScreen))
            await type_text(pilot, "sam at example")
            await pilot.press("enter")
            await wait_for(pilot, lambda: "not an e-mail address" in screen_text(app))
            app.screen.query_one("#email-receipt-address", Input).value = TYPED
            await pilot.press("enter")
            await wait_for(pilot, lambda: app.screen is screen)
            assert (screen.sale.email_receipt, screen.sale.receipt_email) == (True, "Sam.Taylor@example.org")
            await wait_for(pilot, lambda: panel_says(screen) == f"Receipt will be e-mailed to {SAM_MASKED}")
            await pay_in_cash(pilot, "5")
            done = app.screen.done
            await wait_for(pilot, lambda: f"Receipt e-mailed to {SAM_MASKED}" in screen_text(app))
            assert "Sam.Taylor" not in screen_text(app)
            [paper] = printer.wait_for_receipts(1)
    sale_id = done.sale.sale_id
    # The body carried the address for this sale only: the service queued that very address.
    assert rows(service_db(service), "SELECT address FROM receipt_emails WHERE sale_id = ?", (sale_id,)) == [
        ("Sam.Taylor@example.org",)]
    assert rows(service_db(service), "SELECT email FROM accounts WHERE phone = '+442079460001'") == [(None,)]
    url = done.loyalty.digital_receipt.url
    assert url.startswith(f"{PUBLIC_URL}/r/")
    # CP858 has no •: python-escpos switches to a page that has (ESC t n; CP1252's 0x95) for the mask.
    assert re.search(rb"Receipt e-mailed to S(\x1bt.)?\x95\x95\x95@example\.org\n", paper)
    assert b"Sam.Taylor" not in paper and b"sam.taylor" not in paper.lower()
    assert re.search(rb"Scan for your receipt and a 10-second\n +survey\n", paper)  # centred, wrapped at 40
    # Two pictures, read back with the till's own decoder: the receipt number's (F12), then the page's.
    read = [ZxingDecoder().decode(picture) for picture in raster_images(paper)]
    assert [[(code.format, code.text) for code in codes] for codes in read] == [
        [("qr", receipt_number(sale_id))], [("qr", url)]]
    assert paper.index(b"Scan for your receipt") > paper.index(b"\x1dv0")  # the caption is the page's, below the first


def raster_images(data: bytes) -> list[np.ndarray]:
    """Every GS v 0 raster picture in ``data`` as a grayscale image, with a white margin."""
    pictures, at = [], data.find(b"\x1dv0")
    while at >= 0:
        width_bytes = int.from_bytes(data[at + 4:at + 6], "little")
        height = int.from_bytes(data[at + 6:at + 8], "little")
        raster = np.frombuffer(data[at + 8:at + 8 + width_bytes * height], dtype=np.uint8).reshape(height, width_bytes)
        dots = np.unpackbits(raster, axis=1)
        pictures.append(np.pad(np.where(dots == 1, 0, 255).astype(np.uint8), 16, constant_values=255))
        at = data.find(b"\x1dv0", at + 8 + width_bytes * height)
    return pictures
