"""The register's manager screen (Ctrl+B, "back office"), driven by the Pilot at 80×24 against a real service on
loopback, on figures the test makes itself (tests/app/store_activity.py): it opens only after a
manager's right PIN, shows what was made (in charts and in words), a hostile cashier name as text,
offline says so, and Escape gives back the sale as it was."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import httpx
from textual.command import CommandPalette
from textual.widgets import Label, OptionList, Static
from textual_plotext import PlotextPlot

from cashier_tui.app import CashierApp, make_app
from cashier_tui.screens.manager_pin import ManagerPinScreen
from cashier_tui.screens.manager_reports import LOCKED, OFFLINE, WRONG_PIN, ManagerReportsScreen
from cashier_tui.screens.register import RegisterScreen
from pos_core.checkout import Checkout
from pos_core.embedded_service import RunningService
from pos_core.loyalty_client import LoyaltyClient
from pos_core.money import format_money
from pos_core.settings import RegisterSettings, Settings
from tests.app.conftest import product_in, wait_for
from tests.app.store_activity import HOSTILE_SHOWN, make_activity, sell_without_member
from tests.app.test_live_updates import MANAGER_ID, MANAGER_PIN
from tests.app.test_register_flow import SIZE, ready, scan, type_text
from tests.app.test_staff_sign_on import sign_on
from tests.conftest import live_service_db, told
from tests.service.test_chain_security import add_key, keyed
from tests.till_keys import till_key


def register_today(service: RunningService, tmp_path: Path) -> CashierApp:
    """The register on the till's real clock (the figures are today's), with cashiers signing on."""
    config = Settings(api_url=service.url, api_key="", data_dir=tmp_path / "till", register=RegisterSettings(sign_on=True))
    config = replace(config, api_key=till_key(live_service_db(tmp_path), config.store_id, config.terminal_id))
    return make_app(config, checkout=Checkout(LoyaltyClient(config.api_url, config.api_key), config))


async def open_manager_screen(pilot, manager_id: str, pin: str) -> None:
    await pilot.press("ctrl+b")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ManagerPinScreen))
    for text in (manager_id, pin):
        await type_text(pilot, text)
        await pilot.press("enter")


async def signed_on(pilot, staff_id: str, pin: str) -> RegisterScreen:
    await sign_on(pilot, staff_id, pin)
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, RegisterScreen))
    return await ready(pilot)


def shown(screen: ManagerReportsScreen, selector: str) -> str:
    """A view's figures in words, as drawn ("" until the view is there)."""
    found = screen.query(selector)
    return str(found.first(Static).render()) if found else ""


async def test_the_figures_made_are_shown_after_the_right_pin_and_escape_gives_back_the_sale(
    live_service: RunningService, api: httpx.Client, tmp_path: Path
) -> None:
    made = make_activity(live_service, tmp_path, api)
    app = register_today(live_service, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        register = await signed_on(pilot, "c102", "135791")  # Priya Shah: her enrolments are marked as hers
        await scan(pilot, product_in(api, "bakery")["sku"])
        sale = register.sale

        await open_manager_screen(pilot, MANAGER_ID, "999999")
        await wait_for(pilot, lambda: WRONG_PIN in told(app))
        assert app.screen is register
        # That wrong PIN counted once, not once per report: three more elsewhere make four, not locked.
        with keyed(live_service, add_key(live_service_db(tmp_path), "demo-store", "till-8")) as other:
            for n in range(3):
                wrong = other.get("/v1/reports/sales", params={"by": "hour"},
                                  headers={"X-Manager-Id": MANAGER_ID, "X-Manager-Pin": f"00000{n}"})
                assert wrong.json()["error"]["code"] == "wrong_manager_pin"

        await open_manager_screen(pilot, MANAGER_ID, MANAGER_PIN)
        screen = await wait_for(pilot, lambda: app.screen if isinstance(app.screen, ManagerReportsScreen) else None)
        text = await wait_for(pilot, lambda: shown(screen, "#participation-text"))
        assert f"Today {made.member_sales} of {made.sales} sales were members' (66.7%)" in text, text

        await pilot.press("2")
        await wait_for(pilot, lambda: screen.query_one("#manager-views").active == "enrolments")
        board = shown(screen, "#enrolments-text").splitlines()
        assert board[:1] != [] and any(line.endswith("Priya Shah  2  ◀ signed on here") for line in board)
        assert any(line.endswith(f"{HOSTILE_SHOWN}  1") for line in board)
        assert "Sam Carter" not in "\n".join(board)  # c101 sold but enrolled nobody
        chart = screen.query_one("#enrolments-chart", PlotextPlot).render()
        assert HOSTILE_SHOWN in chart.plain and "▶Priya Shah" in chart.plain
        assert "\x1b" not in chart.plain  # the name's escape is not in what goes to the terminal

        await pilot.press("3")
        rewards = shown(screen, "#rewards-text")
        assert f"Today: 1 redeemed, cost {format_money(made.rewards_cost, 'GBP')}" in rewards
        assert f"This week: 1 redeemed, cost {format_money(made.rewards_cost, 'GBP')}" in rewards

        sell_without_member(api)  # meanwhile, another till sells: R shows it
        await pilot.press("1", "r")
        await wait_for(pilot, lambda: f"Today {made.member_sales} of {made.sales + 1} sales" in shown(screen, "#participation-text"))

        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is register)
        assert register.sale is sale and len(sale.basket.lines) == 1 and register.item_entry.has_focus


async def test_a_locked_out_manager_is_told_so_and_the_screen_stays_shut(
    live_service: RunningService, api: httpx.Client, tmp_path: Path
) -> None:
    summary = api.post("/v1/identify", json={"method": "phone", "value": "020 7946 0001"}).json()
    other = add_key(live_service_db(tmp_path), "demo-store", "till-8")
    with keyed(live_service, other) as till:  # another till tried five PINs for the demo manager
        assert till.post("/v1/identify", json={"method": "phone", "value": "020 7946 0001"}).status_code == 200
        for n in range(5):
            till.post(f"/v1/accounts/{summary['account_id']}/adjustments", json={
                "points": 1, "reason": "guess", "manager_pin": f"00000{n}", "manager_id": MANAGER_ID})
    app = register_today(live_service, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        register = await signed_on(pilot, "c101", "246810")
        await open_manager_screen(pilot, MANAGER_ID, MANAGER_PIN)
        await wait_for(pilot, lambda: LOCKED in told(app))
        assert app.screen is register


async def test_offline_the_screen_says_so_and_tries_again_when_asked(
    live_service: RunningService, api: httpx.Client, tmp_path: Path
) -> None:
    app = register_today(live_service, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        register = await signed_on(pilot, "c101", "246810")
        await scan(pilot, product_in(api, "bakery")["sku"])
        live_service.stop()
        await open_manager_screen(pilot, MANAGER_ID, MANAGER_PIN)
        screen = await wait_for(pilot, lambda: app.screen if isinstance(app.screen, ManagerReportsScreen) else None)
        state = screen.query_one("#manager-state", Label)
        assert str(state.render()) == OFFLINE
        assert "Today" not in shown(screen, "#participation-text")  # no figures from anywhere else
        await pilot.press("r")  # still away: said again, nothing else
        await wait_for(pilot, lambda: str(state.render()) == OFFLINE)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is register)
        assert len(register.sale.basket.lines) == 1


async def test_the_command_palette_offers_the_manager_screen(cashier) -> None:
    app = cashier()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+backslash")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
        await type_text(pilot, "Manager screen")
        await wait_for(pilot, lambda: app.screen.query(OptionList) and app.screen.query_one(OptionList).option_count)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ManagerPinScreen))
