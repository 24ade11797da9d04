"""Live updates at the register: a points change made elsewhere shows on the panel at once; the
follower reconnects and drops what it has seen; manual adjustments need a manager's PIN."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from httpx_sse import ServerSentEvent
from textual.css.query import NoMatches
from textual.widgets import Input, Label

from cashier_tui.error_messages import cashier_message
from cashier_tui.screens.adjust_points import AdjustPointsScreen
from cashier_tui.screens.register import RegisterScreen
from pos_core.live_updates import CONNECTED, AccountFollower
from pos_core.loyalty_errors import LoyaltyUnavailable, NotFound
from tests.conftest import told
from tests.app.conftest import find_customer, product_in, wait_for
from tests.app.test_register_flow import SIZE, identify, panel_text, ready, type_text

MANAGER_PIN = "135790"  # the demo store's manager
MANAGER_ID = "mgr_demo"


async def open_adjustment(pilot, phone: str) -> tuple[RegisterScreen, AdjustPointsScreen]:
    """The register with this customer identified, and its points adjustment form open (F9)."""
    screen = await ready(pilot)
    await identify(pilot, phone)
    await wait_for(pilot, lambda: screen.sale.customer is not None)
    await pilot.press("f9")
    dialog = await wait_for(pilot, lambda: isinstance(pilot.app.screen, AdjustPointsScreen) and pilot.app.screen)
    return screen, dialog


async def identified(pilot, phone: str, balance: int) -> RegisterScreen:
    """The register with this customer on the sale and their ``balance`` on the panel."""
    screen = await ready(pilot)
    await identify(pilot, phone)
    await wait_for(pilot, lambda: screen.sale.customer is not None)
    assert f"{balance:,} pts" in balance_shown(screen)
    return screen


def balance_shown(screen) -> str:
    try:
        return panel_text(screen, "#customer-balance")
    except NoMatches:  # the panel is between compositions
        return ""


async def test_a_balance_change_made_elsewhere_shows_on_the_panel(cashier, api: httpx.Client) -> None:
    phone, summary = find_customer(api, lambda s: s["balance"] > 0)
    account_id = summary["account_id"]
    app = cashier()
    async with app.run_test(size=SIZE) as pilot:
        screen = await identified(pilot, phone, summary["balance"])
        # Another till (or the customer's app) changes the points.
        answer = api.post(f"/v1/accounts/{account_id}/adjustments", json={
            "points": 1234, "reason": "app promotion", "manager_pin": MANAGER_PIN, "terminal_id": "till-7"})
        assert answer.status_code == 201, answer.text
        expected = summary["balance"] + 1234
        await wait_for(pilot, lambda: f"{expected:,} pts" in balance_shown(screen), timeout=2.0)
        assert screen.sale.customer.balance == expected
        # A sale at another terminal shows too.
        product = next(p for p in api.get("/v1/catalog").json()["products"] if p["sku"] == "1005")
        lines = [{k: product[k] for k in ("sku", "name", "category", "unit_price")} | {"quantity": 10}]
        quote = api.post("/v1/quote", json={"account_id": account_id, "lines": lines}).json()
        sold = api.post("/v1/sales", headers={"Idempotency-Key": "11111111-2222-4333-8444-555555555555"}, json={
            "account_id": account_id, "store_id": "other-store", "terminal_id": "till-3", "currency": "GBP",
            "lines": lines, "tender": [{"method": "card", "amount": quote["total"]}]})
        assert sold.status_code == 201
        after_sale = sold.json()["balance"]
        await wait_for(pilot, lambda: f"{after_sale:,} pts" in balance_shown(screen), timeout=2.0)
        # Off the sale: no longer followed.
        await pilot.press("f7")
        await wait_for(pilot, lambda: screen.sale.customer is None)
        await wait_for(pilot, lambda: app.session.following is None)


async def test_adjusting_points_needs_a_manager_pin(cashier, api: httpx.Client) -> None:
    phone, summary = find_customer(api, lambda s: s["balance"] > 0)
    app = cashier()
    async with app.run_test(size=SIZE) as pilot:
        screen, dialog = await open_adjustment(pilot, phone)
        await type_text(pilot, "-" + str(summary["balance"] + 1))
        await pilot.press("enter")
        await type_text(pilot, "damaged card")
        await pilot.press("enter")
        await type_text(pilot, MANAGER_ID)  # whose PIN it is: their wrong PINs lock them out
        await pilot.press("enter")
        await type_text(pilot, "0000")
        await pilot.press("enter")
        assert "below zero" in str(dialog.query_one("#adjust-error", Label).render())  # checked before sending
        points = dialog.query_one("#adjust-points", Input)
        points.value = "250"
        pin = dialog.query_one("#adjust-pin", Input)
        assert pin.password
        pin.focus()
        pin.value = "0000"
        await pilot.press("enter")
        error = dialog.query_one("#adjust-error", Label)
        await wait_for(pilot, lambda: "not a manager's" in str(error.render()))
        assert api.get(f"/v1/accounts/{summary['account_id']}").json()["balance"] == summary["balance"]
        assert pin.value == ""
        await type_text(pilot, MANAGER_PIN)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is screen)
        expected = summary["balance"] + 250
        await wait_for(pilot, lambda: f"{expected:,} pts" in balance_shown(screen))
        await wait_for(pilot, lambda: any("now has" in m for m in told(app)))
        assert api.get(f"/v1/accounts/{summary['account_id']}").json()["balance"] == expected


def test_a_rate_limited_lookup_says_when_to_try_again() -> None:
    error = LoyaltyUnavailable("429", code="rate_limited", status=429, retry_after=42)
    text = cashier_message(error)
    assert "42 s" in text and "not answering" not in text


# -- the follower, without a network ---------------------------------------------------------------


def frame(account_id: str, seq: int, balance: int) -> ServerSentEvent:
    data = {"account_id": account_id, "seq": seq, "type": "balance_changed", "balance": balance}
    return ServerSentEvent(event="balance_changed", data=json.dumps(data), id=f"{account_id}:{seq}")


class ScriptedService:
    """Plays one list of frames per connection, then drops the link; records Last-Event-ID."""

    def __init__(self, connections: list[list[ServerSentEvent]]) -> None:
        self.connections = connections
        self.asked: list[str | None] = []

    @asynccontextmanager
    async def event_source(self, account_id: str, last_event_id: str | None, *, read_timeout: float
                           ) -> AsyncIterator[Any]:
        self.asked.append(last_event_id)
        if not self.connections:
            raise NotFound("gone", code="not_found", status=404)
        frames = self.connections.pop(0)

        class Source:
            async def aiter_sse(self) -> AsyncIterator[ServerSentEvent]:
                for sse in frames:
                    yield sse
                raise httpx.ReadError("link lost")

        yield Source()


async def test_the_follower_resumes_and_drops_stale_and_duplicate_events() -> None:
    service = ScriptedService([
        [ServerSentEvent(id="acc_a:4", retry=2000), frame("acc_a", 5, 100), frame("acc_a", 6, 90)],
        [frame("acc_a", 6, 90), frame("acc_a", 5, 100), frame("acc_b", 9, 1), frame("acc_a", 7, 80)],
        [],
    ])
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    follower = AccountFollower(service, "acc_a", sleep=sleep)  # type: ignore[arg-type]
    seen = []
    try:
        async for event in follower.events():
            seen.append((event.type, event.seq, event.balance))
    except NotFound:
        pass
    assert seen == [(CONNECTED, 0, None), ("balance_changed", 5, 100), ("balance_changed", 6, 90),
                    (CONNECTED, 0, None), ("balance_changed", 7, 80),
                    (CONNECTED, 0, None)]
    assert service.asked == [None, "acc_a:6", "acc_a:7", "acc_a:7"]
    assert len(slept) == 3 and all(s > 0 for s in slept)


async def test_a_follower_that_lost_the_link_before_any_event_resumes_where_it_started() -> None:
    service = ScriptedService([[ServerSentEvent(id="acc_a:12", retry=2000)], [frame("acc_a", 13, 5)]])

    async def sleep(seconds: float) -> None:
        await asyncio.sleep(0)

    follower = AccountFollower(service, "acc_a", sleep=sleep)  # type: ignore[arg-type]
    seqs = []
    try:
        async for event in follower.events():
            seqs.append(event.seq)
    except NotFound:
        pass
    assert service.asked[:2] == [None, "acc_a:12"] and 13 in seqs


async def test_points_changed_elsewhere_while_paying_do_not_lose_the_payment(cashier, api: httpx.Client) -> None:
    """The sale is frozen at Pay: a live update then neither changes what is paid for nor makes
    the till drop the tender; the customer's news shows on the next sale."""
    from cashier_tui.screens.receipt import ReceiptScreen
    from tests.app.test_register_flow import to_payment

    phone, before = find_customer(api, lambda s: s["balance"] > 0)
    loaf = product_in(api, "bakery")
    app = cashier()
    async with app.run_test(size=SIZE) as pilot:
        screen = await to_payment(pilot, phone, loaf["sku"])
        paid_for = screen.sale
        assert app.session.paying and app.session.following is None
        answer = api.post(f"/v1/accounts/{before['account_id']}/adjustments", json={
            "points": 250, "reason": "birthday bonus", "manager_pin": "135790", "terminal_id": "till-7"})
        assert answer.status_code == 201, answer.text
        await type_text(pilot, "10")
        await pilot.press("enter")
        receipt = await wait_for(pilot, lambda: isinstance(app.screen, ReceiptScreen) and app.screen)
        assert receipt.done.sale.sale_id == paid_for.sale_id and receipt.done.sale.basket == paid_for.basket
    assert api.get(f"/v1/sales/{paid_for.sale_id}").status_code == 200
