"""Cashier sign-on at the register, driven by the Pilot at 80x24 against a real service on loopback:
the start of a shift, a wrong PIN, Ctrl+L locking with the sale kept, the sale carrying the cashier
who paid it and a sale without a customer counted through the outbox; and offline, a sign-on from
the hash the till kept, said plainly."""

from __future__ import annotations

import socket
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from textual.widgets import Input, Label

from cashier_tui.app import make_app
from cashier_tui.screens.register import RegisterScreen
from cashier_tui.screens.staff_sign_on import StaffSignOnScreen
from pos_core.checkout import till_dir
from pos_core.embedded_service import RunningService
from pos_core.loyalty_client import LoyaltyClient
from pos_core.settings import RegisterSettings, Settings
from pos_core.staff_sign_on import OFFLINE_TRIES, SignOnRefused, StaffSignOn
from tests.app.conftest import fixed_checkout, product_in, wait_for
from tests.app.test_register_flow import SIZE, identify, pay_in_cash, ready, scan, type_text
from tests.conftest import live_service_db, told
from tests.service.stored import rows

SIGN_ON = RegisterSettings(sign_on=True)


async def sign_on(pilot, staff_id: str, pin: str) -> None:
    screen = await wait_for(pilot, lambda: pilot.app.screen if isinstance(pilot.app.screen, StaffSignOnScreen) else None)
    screen.staff_id_input.value = ""
    screen.staff_id_input.focus()
    await type_text(pilot, staff_id)
    await pilot.press("enter")
    await type_text(pilot, pin)
    await pilot.press("enter")


def problem(pilot) -> str:
    return str(pilot.app.screen.query_one("#sign-on-pin-error", Label).render())


def status_location(screen: RegisterScreen) -> str:
    return str(screen.query_one("#status-location", Label).render())


async def test_a_shift_starts_locked_and_each_sale_carries_who_sold_it(
    cashier, api: httpx.Client, tmp_path: Path
) -> None:
    loaf = product_in(api, "bakery")
    app = cashier(register=SIGN_ON)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, StaffSignOnScreen))
        await sign_on(pilot, "c101", "111111")
        await wait_for(pilot, lambda: "Wrong staff id or PIN" in problem(pilot))
        assert isinstance(app.screen, StaffSignOnScreen) and app.checkout.cashier_id is None
        assert app.screen.pin_input.value == ""  # the PIN typed is not kept on screen
        await sign_on(pilot, "c101", "246810")
        await wait_for(pilot, lambda: isinstance(app.screen, RegisterScreen))
        screen = await ready(pilot)
        # The sign-on screen's result reaches the app a message after the screen is gone.
        await wait_for(pilot, lambda: app.checkout.cashier_id == "c101")
        await wait_for(pilot, lambda: "Sam Carter" in status_location(screen))

        await scan(pilot, loaf["sku"])
        await identify(pilot, "020 7946 0001")
        await wait_for(pilot, lambda: screen.quote is not None)
        sale_id = screen.sale.sale_id
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: isinstance(app.screen, StaffSignOnScreen))
        assert "Sam Carter" in str(app.screen.query_one("#sign-on-dialog").query(Label)[2].render())
        await pilot.press("f10")  # the register's keys do nothing while it is locked
        assert isinstance(app.screen, StaffSignOnScreen)
        await sign_on(pilot, "c102", "135791")
        await wait_for(pilot, lambda: app.screen is screen)
        await wait_for(pilot, lambda: "Priya Shah" in status_location(screen))
        assert "Sam Carter" not in status_location(screen)
        assert screen.sale.sale_id == sale_id and len(screen.sale.basket.lines) == 1  # the sale was kept
        assert screen.sale.customer is not None

        await pay_in_cash(pilot, "20")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RegisterScreen))

        # A sale without a customer goes through the outbox too, counted with its cashier.
        await scan(pilot, loaf["sku"])
        anonymous_id = screen.sale.sale_id
        await pay_in_cash(pilot, "20")
        await wait_for(pilot, lambda: app.checkout.outbox.pending_count() == 0)

    db = live_service_db(tmp_path)
    assert rows(db, "SELECT cashier_id FROM sales WHERE sale_id = ?", (sale_id,)) == [("c102",)]
    assert rows(db, "SELECT cashier_id, store_id, terminal_id, subtotal, total FROM anonymous_sales"
                " WHERE sale_id = ?", (anonymous_id,)) == [("c102", "demo-store", "till-1", loaf["unit_price"],
                                                             loaf["unit_price"])]
    assert rows(db, "SELECT COUNT(*) FROM sales WHERE sale_id = ?", (anonymous_id,)) == [(0,)]
    stored = (till_dir(app.settings) / "signed_on.json").read_bytes()
    assert b"246810" not in stored and b"135791" not in stored and b"111111" not in stored


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_offline_a_cashier_who_signed_on_here_before_signs_on_from_the_kept_hash(
    live_service: RunningService, tmp_path: Path
) -> None:
    settings = Settings(api_url=live_service.url, api_key=live_service.api_key, data_dir=tmp_path / "till",
                        register=SIGN_ON)
    async with LoyaltyClient(live_service.url, live_service.api_key) as online:
        signed = await StaffSignOn(online, till_dir(settings)).sign_on("c101", "246810")
        assert (signed.name, signed.offline) == ("Sam Carter", False)
    away = replace(settings, api_url=f"http://127.0.0.1:{closed_port()}")
    app = make_app(away, checkout=fixed_checkout(away, "00000000-0000-4000-8000-"))
    async with app.run_test(size=SIZE) as pilot:
        await sign_on(pilot, "c102", "135791")  # never signed on here: the till cannot check
        await wait_for(pilot, lambda: "not signed on at this till before" in problem(pilot))
        await sign_on(pilot, "c101", "000000")
        await wait_for(pilot, lambda: "checked by this till" in problem(pilot))
        await sign_on(pilot, "c101", "246810")
        await wait_for(pilot, lambda: isinstance(app.screen, RegisterScreen))
        await wait_for(pilot, lambda: app.checkout.cashier_id == "c101")
        await wait_for(pilot, lambda: "Sam Carter" in status_location(app.screen))
        assert any("offline" in notice and "checked by this till" in notice for notice in told(app))


async def test_offline_wrong_pins_drop_the_kept_hash(live_service: RunningService, tmp_path: Path) -> None:
    folder = tmp_path / "till"
    async with LoyaltyClient(live_service.url, live_service.api_key) as online:
        await StaffSignOn(online, folder).sign_on("c101", "246810")
    async with LoyaltyClient(f"http://127.0.0.1:{closed_port()}", "key") as away:
        offline = StaffSignOn(away, folder)
        for _ in range(OFFLINE_TRIES - 1):
            with pytest.raises(SignOnRefused, match="checked by this till"):
                await offline.sign_on("c101", "999999")
        with pytest.raises(SignOnRefused, match="only the loyalty service"):
            await offline.sign_on("c101", "999999")
        with pytest.raises(SignOnRefused, match="not signed on at this till before"):
            await offline.sign_on("c101", "246810")  # the right PIN: the kept hash is gone now
