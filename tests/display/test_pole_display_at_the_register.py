"""The pole display through a running register: the cashier scans, identifies and takes cash, and
the display's bytes arrive on a real pseudo-terminal (pyserial on the slave, the test reading the
master); an unplugged port is a notification, never a fault in the sale."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from cashier_tui.help_entries import entry_for
from pos_core.settings import CustomerDisplaySettings
from tests.app.conftest import find_customer, wait_for
from tests.app.test_register_flow import SIZE, notifications, to_payment, type_text
from tests.unit.test_pole_display import Pty

pytestmark = pytest.mark.service


async def test_a_scan_and_a_cash_payment_reach_the_pole_display(cashier, api: httpx.Client) -> None:
    phone, summary = find_customer(api, lambda s: True)
    flat_white = next(p for p in api.get("/v1/catalog").json()["products"] if p["sku"] == "1001")
    pty = Pty()
    try:
        app = cashier(customer_display=CustomerDisplaySettings(pole=f"serial://{pty.path}?baudrate=9600",
                                                               pole_protocol="cd5220"))
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: b"\x1bQA     Demo Store     \r\x1bQB      WELCOME       \r" in pty.read())
            assert pty.received.startswith(b"\x1b@\x1bfU\x0c")
            register = await to_payment(pilot, phone, "1001")
            name = flat_white["name"].encode()
            line1 = b"\x1bQA" + name + b" " * (20 - len(name) - 5) + b"#3.10\r"  # £ is # in the U.K. set
            await wait_for(pilot, lambda: line1 + b"\x1bQBTOTAL          #3.10\r" in pty.read())
            earned = register.quote.points_earned
            await type_text(pilot, "10")
            await pilot.press("enter")
            await wait_for(pilot, lambda: b"\x1bQATOTAL          #3.10\r\x1bQBCHANGE         #6.90\r" in pty.read())
            assert earned
            points = f"{earned:,}".encode()  # then the points, on a second page
            await wait_for(pilot, lambda: b"\x1bQAPOINTS EARNED" + b" " * (7 - len(points)) + points in pty.read())
            assert not [text for text in notifications(app) if "Pole display" in text]
            assert not app.register_screen.query_one("#status-pole").display
    finally:
        pty.close()


async def test_an_unplugged_pole_display_is_told_and_selling_goes_on(cashier, tmp_path: Path) -> None:
    app = cashier(customer_display=CustomerDisplaySettings(pole=f"serial://{tmp_path / 'ttyUSB1'}"))
    async with app.run_test(size=SIZE) as pilot:
        told = await wait_for(pilot, lambda: [t for t in notifications(app) if t.startswith("Pole display unavailable")])
        assert told == [f"Pole display unavailable: {tmp_path / 'ttyUSB1'}: No such file or directory."
                        " The till retries by itself; selling goes on."]
        assert app.pole_problem == f"{tmp_path / 'ttyUSB1'}: No such file or directory"
        # The top line keeps saying so after the notification has gone.
        await wait_for(pilot, lambda: app.register_screen.query_one("#status-pole").display)
        assert str(app.register_screen.query_one("#status-pole").render()) == "Pole display unavailable"
        assert entry_for(told[0]).topic == "Customer display"  # explained in the F1 help
        assert app.is_running
