"""Every way a customer identifies, into the running register: a scanned card, a swiped stripe,
the camera, an NFC tap; payment cards refused and never kept; garbage never crashes the till."""

from __future__ import annotations

from pathlib import Path

import httpx
import ndef
from textual.widgets import Input

from cashier_tui.screens.phone_entry import PhoneEntryScreen
from pos_core.settings import DeviceSettings
from tests.app.conftest import product_in, wait_for
from tests.app.test_register_flow import SIZE, notifications, ready, type_text
from tests.app.wedge_keys import scanner_burst
from tests.unit.barcode_images import write_video
from tests.unit.nfc_emulator import EmulatedType3Tag, free_udp_port, ndef_message

ALICE_CARD = "2991000000016"
ALICE_QR = "LOYALTY:ZSKRIOZAAF25G5FS"
# Test numbers the card schemes publish; Luhn-valid, never a real account.
VISA, MASTERCARD = "4111111111111111", "5555555555554444"


def customer_name(app) -> str | None:
    sale = app.register_screen.sale
    return sale.customer.display_name if sale is not None and sale.customer is not None else None


async def test_a_scanned_card_brings_up_the_customer_and_leaks_nothing(cashier) -> None:
    app = cashier()
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(pilot)
        entry = screen.query_one("#item-entry", Input)
        await type_text(pilot, "10")  # the cashier had started typing a code by hand
        await scanner_burst(pilot, ALICE_CARD)
        await wait_for(pilot, lambda: customer_name(app) == "Alice S.")
        assert entry.value == "10"  # the scan went round the field, not into it
        assert not screen.sale.basket.lines


async def test_a_scan_while_the_phone_dialog_is_open_identifies_instead(cashier) -> None:
    app = cashier()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("f2")
        await wait_for(pilot, lambda: isinstance(app.screen, PhoneEntryScreen))
        phone_field = app.screen.query_one("#phone-input", Input)
        await scanner_burst(pilot, ALICE_CARD)
        await wait_for(pilot, lambda: customer_name(app) == "Alice S.")
        assert phone_field.value == ""
        assert app.screen is app.register_screen


async def test_a_swiped_loyalty_stripe_brings_up_the_customer(cashier) -> None:
    app = cashier()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await scanner_burst(pilot, f";{ALICE_CARD}=2912?")
        await wait_for(pilot, lambda: customer_name(app) == "Alice S.")


async def test_a_scanned_product_barcode_rings_up_the_item(cashier, api: httpx.Client) -> None:
    loaf = product_in(api, "bakery")
    app = cashier()
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(pilot)
        await scanner_burst(pilot, loaf["ean"])
        await wait_for(pilot, lambda: screen.sale.basket.lines)
        assert [line.product.sku for line in screen.sale.basket.lines] == [loaf["sku"]]
        assert screen.query_one("#item-entry", Input).value == ""


async def test_payment_cards_are_refused_and_their_numbers_kept_nowhere(cashier, tmp_path: Path) -> None:
    app = cashier()
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(pilot)
        await scanner_burst(pilot, f"%B{VISA}^CARDHOLDER/TEST^29121010000000000000?;{VISA}=29121010000000000?")
        await wait_for(pilot, lambda: any("payment terminal" in m for m in notifications(app)))
        await scanner_burst(pilot, f";{MASTERCARD}=29121010000000000?")
        await wait_for(pilot, lambda: sum("payment terminal" in m for m in notifications(app)) == 2)
        # Typed by hand into the item field, it is refused the same way.
        await type_text(pilot, MASTERCARD)
        await pilot.press("enter")
        await wait_for(pilot, lambda: sum("payment terminal" in m for m in notifications(app)) == 3)
        assert screen.sale.customer is None and not screen.sale.basket.lines
        shown = " ".join(notifications(app)) + " " + str(app.screen._compositor.render_update(full=True))
        for number in (VISA, MASTERCARD):
            assert number not in shown
            assert number[:12] not in shown
        # A sale still goes through afterwards, so the till's files are all written.
        await type_text(pilot, "1005")
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.sale.basket.lines)
    for path in tmp_path.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for number in (VISA, MASTERCARD):
                assert number.encode() not in data, f"{number[-4:]} found in {path}"
                assert number.encode("utf-16-le") not in data


async def test_an_app_qr_shown_to_the_camera_brings_up_the_customer(cashier, tmp_path: Path) -> None:
    video = tmp_path / "counter-camera.avi"
    write_video(video, [(None, 5), ((ALICE_QR, "qr"), 20), (None, 5)])
    app = cashier()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        camera = app.devices.hub.add_camera(str(video))  # what [devices] camera = "…" starts with the app
        await wait_for(pilot, lambda: customer_name(app) == "Alice S.")
        await wait_for(pilot, lambda: not camera.running)  # the video played to its end
        await pilot.pause()  # and anything its end posted has been handled
        assert not [m for m in notifications(app) if "camera" in m.lower()]  # the end of a file is no problem


async def test_an_nfc_tap_brings_up_the_customer(cashier) -> None:
    port = free_udp_port()
    message = ndef_message([ndef.TextRecord(ALICE_CARD)])
    app = cashier()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        with EmulatedType3Tag(port, bytes.fromhex("012E4CD1A2B3C47D"), message):
            app.devices.hub.add_nfc(f"udp:127.0.0.1:{port}", targets=("212F",))
            await wait_for(pilot, lambda: customer_name(app) == "Alice S.", timeout=15)


async def test_an_absent_reader_is_said_once_and_the_till_sells_on(cashier, tmp_path: Path) -> None:
    app = cashier(devices=DeviceSettings(camera=str(tmp_path / "no-such-camera.avi")))
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(pilot)
        await wait_for(pilot, lambda: any("camera" in m.lower() for m in notifications(app)))
        await type_text(pilot, "1005")
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.sale.basket.lines)
        assert sum("camera" in m.lower() for m in notifications(app)) == 1


async def test_garbage_from_any_device_never_crashes_the_till(cashier) -> None:
    payloads = [
        "[bold red]FREE[/bold red]",
        "[link=http://x]x[/link]",
        "\x1b[31mred\x1b[0m",
        "A" * 4096,
        "12\x0034\x07\x08\x7f",
        "%B^^?",
        ";=?",
        "LQR1.!!!.x.y.z",
        "🙂" * 20,
    ]
    app = cashier()
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(pilot)
        entry = screen.query_one("#item-entry", Input)
        for payload in payloads:
            await scanner_burst(pilot, payload)
            entry.value = payload[:64]  # typed or pasted into the item field
            await entry.action_submit()
            await pilot.pause()
        await wait_for(pilot, lambda: len(notifications(app)) >= len(payloads))
        assert app.is_running and app.screen is screen
        assert not screen.sale.basket.lines and screen.sale.customer is None
        assert len(notifications(app)) >= len(payloads)
        await type_text(pilot, "1005")
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.sale.basket.lines)
