"""The register's receipts on a network printer played by a TCP listener on loopback: a real sale
and a real return driven with the Pilot, the bytes the printer got, and a printer that is not
there (the sale is complete, the receipt kept, the status line says so, Ctrl+P prints it)."""

from __future__ import annotations

import socket

import httpx
from textual.widgets import Input, Label

from cashier_tui.help_entries import entry_for
from cashier_tui.screens.payment import PaymentScreen
from cashier_tui.screens.receipt import ReceiptScreen
from cashier_tui.screens.register import RegisterScreen
from cashier_tui.screens.return_sale import ReturnScreen
from pos_core.printer_words import printer_words
from pos_core.print_queue import PrinterStatus
from pos_core.receipt import receipt_number
from pos_core.settings import PrinterSettings
from tests.app.conftest import wait_for
from tests.app.test_register_flow import SIZE, identify, ready, scan, type_text
from tests.printer_listener import PrinterListener

FIRST_SALE = "00000000-0000-4000-8000-000000000001"
NUMBER = receipt_number(FIRST_SALE)


async def cash_sale_for_alice(pilot) -> list[str]:
    """Two loaves for Alice, paid with £20 cash: the receipt's lines as the screen shows them."""
    screen = await ready(pilot)
    await scan(pilot, "2*1005")
    await identify(pilot, "020 7946 0001")
    await wait_for(pilot, lambda: screen.quote is not None)
    await pilot.press("f10")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, PaymentScreen))
    await type_text(pilot, "20")
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ReceiptScreen))
    return list(pilot.app.screen.lines)


def status_line(app) -> str:
    return str(app.register_screen.query_one("#status-printer", Label).render())


async def sale_kept_offline(pilot, api: httpx.Client) -> None:
    """Alice's cash sale on a printer that cannot take it: the sale complete, its receipt kept, and
    the register's top line saying so."""
    app = pilot.app
    await cash_sale_for_alice(pilot)
    await wait_for(pilot, lambda: app.printer_status is not None and app.printer_status.kept == 1
                   and app.printer_status.state == "offline")
    assert api.get(f"/v1/sales/{FIRST_SALE}").status_code == 200  # the sale is complete
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, RegisterScreen))
    await wait_for(pilot, lambda: app.register_screen.query_one("#status-printer", Label).display)
    assert status_line(app) == "Printer OFFLINE · 1 receipt not printed (^P reprints)"


async def test_the_register_prints_its_sale_and_return_receipts(cashier, api: httpx.Client) -> None:
    with PrinterListener() as printer:
        app = cashier(printer=PrinterSettings(connection=printer.url))
        async with app.run_test(size=SIZE) as pilot:
            shown = await cash_sale_for_alice(pilot)
            await wait_for(pilot, lambda: len(printer.receipts()) == 1 and b"\x1dV" in printer.receipts()[0])
            paper = printer.receipts()[0]
            # The paper is the screen: every line, in the printer's code page (CP858: £ is 0x9C).
            assert paper.index(b"\x1b@") < paper.index(b"\x1bt\x13")
            for line in shown:
                if line.strip() and all(char not in line for char in "—…"):
                    assert line.encode("cp858") + b"\n" in paper, line
            assert any(line.startswith("Only ") and "points to" in line for line in shown)
            assert "£".encode("cp858") in paper and "£".encode() not in paper
            # The receipt number as a QR code the printer draws (GS ( k … P 0 <data>), cut, and the drawer for cash.
            assert b"\x1d(k" + (len(NUMBER) + 3).to_bytes(2, "little") + b"1P0" + NUMBER.encode() in paper
            assert paper.index(b"\x1dV") < paper.index(b"\x1bp\x00")
            await wait_for(pilot, lambda: app.printer_status is not None and app.printer_status.state == "ready")
            assert not app.register_screen.query_one("#status-printer", Label).display

            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.screen, RegisterScreen))
            await pilot.press("f12")
            await wait_for(pilot, lambda: isinstance(app.screen, ReturnScreen))
            returns = app.screen
            await type_text(pilot, NUMBER)
            await pilot.press("enter")
            await wait_for(pilot, lambda: returns.query("#return-qty-0"))
            returns.query_one("#return-qty-0", Input).value = "1"
            await pilot.press("f10")
            await wait_for(pilot, lambda: returns.result is not None)
            await wait_for(pilot, lambda: len(printer.receipts()) == 2 and b"\x1dV" in printer.receipts()[1])
            slip = printer.receipts()[1]
            assert b"RETURN" in slip and NUMBER.encode() in slip and b"Refunded in cash" in slip
            assert b"\x1bp\x00" in slip  # cash given back: the drawer opens


async def test_a_missing_printer_never_stops_the_sale_and_ctrl_p_prints_it_later(cashier, api: httpx.Client) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
    # Nothing listens on the port: connection refused.
    app = cashier(printer=PrinterSettings(connection=f"tcp://127.0.0.1:{port}", timeout=1))
    async with app.run_test(size=SIZE) as pilot:
        await sale_kept_offline(pilot, api)
        kept = list((app.print_queue.kept_dir).glob("*.json"))
        assert [path.stem for path in kept] == [FIRST_SALE]

        with PrinterListener(port=port) as printer:  # the printer is back
            await pilot.press("ctrl+p")
            await wait_for(pilot, lambda: printer.receipts() and b"\x1dV" in printer.receipts()[0])
            await wait_for(pilot, lambda: app.printer_status.kept == 0 and app.printer_status.state == "ready")
            assert NUMBER.encode() in printer.receipts()[0]
            await wait_for(pilot, lambda: not app.register_screen.query_one("#status-printer", Label).display)
        assert not list(app.print_queue.kept_dir.glob("*.json"))


def test_every_printer_state_on_the_top_line_is_explained_in_the_help() -> None:
    states = ("offline", "out of paper", "cover open", "paper low", "unavailable")
    shown = [printer_words(PrinterStatus(state, kept=1)) for state in states] + [printer_words(PrinterStatus("ready", 1))]
    for words in shown:
        for part in words.split(" · "):
            assert entry_for(part) is not None, part
    assert printer_words(PrinterStatus("offline", 2)) == "Printer OFFLINE · 2 receipts not printed (^P reprints)"
    assert printer_words(PrinterStatus("ready")) == printer_words(PrinterStatus("printing")) == ""
