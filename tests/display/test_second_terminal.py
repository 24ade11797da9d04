"""The second terminal (``cashier-tui customer-display``) driven with the Pilot against a real
register's display server on loopback: it follows the sale as the cashier rings it up, shows a
hostile name as text, says "Waiting for the till…" when the till's server goes, and comes back by
itself when it returns."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from textual.widgets import DataTable, Label, ProgressBar

from cashier_tui.customer_display.app import CustomerDisplayApp, make_app
from cashier_tui.customer_display.launch import main as launch
from cashier_tui.screens.payment import PaymentScreen
from pos_core.customer_display_client import CustomerDisplayClient, NotATillDisplay
from pos_core.customer_feed import CustomerFeed
from pos_core.customer_display_server import DisplayServer, bind, make_display_app
from pos_core.settings import CustomerDisplaySettings
from tests.app.conftest import wait_for
from tests.app.test_register_flow import SIZE, identify, ready, scan, type_text

pytestmark = pytest.mark.service

HOSTILE = "[@click=app.quit]Eve[/] Mallory"


def shown(app: CustomerDisplayApp, selector: str) -> str:
    """What the label shows now ("" while it is not there: panels recompose as views arrive)."""
    found = app.display_screen.query(selector).results(Label)
    label = next(found, None)
    return label.visual.plain if label is not None else ""


def panel(app: CustomerDisplayApp) -> str | None:
    return app.display_screen.panels.current


async def test_the_display_follows_the_sale_waits_for_the_till_and_comes_back(cashier, api: httpx.Client) -> None:
    phone = "020 7946 0991"
    enrolled = api.post("/v1/accounts", json={"phone": phone, "name": HOSTILE,
                                              "consent": {"terms_version": "2026-01", "marketing": False}})
    assert enrolled.status_code == 201, enrolled.text
    flat_white = next(p for p in api.get("/v1/catalog").json()["products"] if p["sku"] == "1001")

    register = cashier(customer_display=CustomerDisplaySettings(listen="127.0.0.1:0"))
    async with register.run_test(size=SIZE) as till:
        await ready(till)
        server = await wait_for(till, lambda: register.display_server)
        await wait_for(till, lambda: server._server.started)
        url = server.url
        display = make_app(url, client=CustomerDisplayClient(url, retry_seconds=(0.05, 0.2)))
        async with display.run_test(size=(80, 24)) as screen:
            await wait_for(screen, lambda: panel(display) == "welcome")
            await wait_for(screen, lambda: shown(display, "#welcome-title") == "Welcome to Demo Store")

            await scan(till, "1001")
            await wait_for(screen, lambda: panel(display) == "basket")
            table = display.display_screen.query_one("#basket-lines", DataTable)
            await wait_for(screen, lambda: table.row_count == 1)
            assert table.get_row_at(0)[0].plain == flat_white["name"]
            assert shown(display, "#last-item") == f"{flat_white['name']}  £3.10"
            assert shown(display, "#total-line") == "Total  £3.10"

            await identify(till, phone)
            await wait_for(screen, lambda: shown(display, "#card-points"))
            # The name is text: first name and initial, the markup shown as typed, and no action ran.
            assert shown(display, "#card-name") == "[@click=app.quit]Eve[/] M."
            assert shown(display, "#card-balance").startswith("Balance  ")
            assert shown(display, "#card-points").startswith("This shop earns you ")
            assert "7946" not in str(display.display_screen.view)
            await screen.click("#card-name")
            assert display.is_running
            reward = display.display_screen.view["customer"]["next_reward"]
            if reward:
                bar = display.display_screen.query_one("#card-progress-bar", ProgressBar)
                assert (bar.total, bar.progress) == (reward["cost"], reward["cost"] - reward["points_needed"])

            # The till's display server goes: the customer is told, plainly.
            server.stop()
            await wait_for(screen, lambda: panel(display) == "waiting", timeout=10)
            await wait_for(screen, lambda: shown(display, "#waiting-title") == "Waiting for the till…")

            # It comes back on the same address: the display finds it by itself, sale and all.
            again = DisplayServer(make_display_app(register.customer_feed), bind(url.removeprefix("http://")))
            register.run_worker(again.serve(), exit_on_error=False)
            try:
                await wait_for(screen, lambda: panel(display) == "basket", timeout=10)
                assert shown(display, "#card-name") == "[@click=app.quit]Eve[/] M."

                # Paid in cash: the thank-you, with the change and the points.
                await till.press("f10")
                await wait_for(till, lambda: isinstance(register.screen, PaymentScreen))
                await type_text(till, "10")
                await till.press("enter")
                await wait_for(screen, lambda: shown(display, "#thanks-change") == "Your change  £6.90")
                assert panel(display) == "thank-you"
                assert shown(display, "#thanks-title") == "Thank you, [@click=app.quit]Eve[/] M.!"
                assert shown(display, "#thanks-points").startswith(("You earned ", "Your "))
            finally:
                again.stop()


async def test_an_address_that_is_not_a_till_is_said_so_and_the_flags_are_checked(capsys) -> None:
    async def not_a_till(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, html="<html>proxy login</html>")

    client = CustomerDisplayClient("http://till.invalid", transport=httpx.MockTransport(not_a_till),
                                   retry_seconds=(5.0, 5.0))
    with pytest.raises(NotATillDisplay):
        async for _ in client.views():
            pass
    app = make_app("http://till.invalid", client=client)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: shown(app, "#waiting-reason"))
        assert shown(app, "#waiting-reason").startswith("The address is not an event stream; trying again in ")
        assert app.ENABLE_COMMAND_PALETTE is False
        # Ctrl+Q and the screen's own focus and copy keys: no palette, no developer keys.
        actions = {active.binding.action: key for key, active in app.active_bindings.items()}
        assert set(actions) == {"quit", "app.focus_next", "app.focus_previous", "screen.copy_text"}
        assert actions["quit"] == "ctrl+q"
        await pilot.press("ctrl+q")
    assert not app.is_running
    with pytest.raises(SystemExit):
        launch(["--till", "127.0.0.1:8765"])
    assert "--till must be an http:// address" in capsys.readouterr().err


async def test_the_enrolment_terms_show_read_only_and_the_answer_given_elsewhere(tmp_path) -> None:
    """The till's feed served for real on loopback (no register needed): the cashier's enrol form
    asks, the customer's answer (on the web page) shows here; nothing here can answer it."""
    feed = CustomerFeed(store="[b]Corner[/b] Shop")
    server = DisplayServer(make_display_app(feed), bind("127.0.0.1:0"))
    serving = asyncio.ensure_future(server.serve())
    try:
        display = make_app(server.url, client=CustomerDisplayClient(server.url, retry_seconds=(0.05, 0.2)))
        async with display.run_test(size=(80, 24)) as screen:
            await wait_for(screen, lambda: shown(display, "#welcome-title") == "Welcome to [b]Corner[/b] Shop")
            question = feed.ask_consent(terms_version="2026-01", privacy_notice="We keep [i]your name[/i].\x1b[2J")
            await wait_for(screen, lambda: shown(display, "#enrol-privacy"))
            assert panel(display) == "enrolling"
            assert shown(display, "#enrol-terms") == "Terms, version 2026-01"
            assert shown(display, "#enrol-privacy") == "We keep [i]your name[/i].␛[2J"
            assert shown(display, "#enrol-answer") == "Please give your answer on the tablet, or tell the cashier."
            assert not display.display_screen.query("Button, Checkbox, Input")  # read-only
            assert feed.answer_consent(question.request_id, accepted=True, marketing=False)
            await wait_for(screen, lambda: shown(display, "#enrol-answer")
                           == "Thank you: you have accepted the terms (without offers).")
            feed.end_consent()
            await wait_for(screen, lambda: panel(display) == "welcome")
    finally:
        server.stop()
        await serving
