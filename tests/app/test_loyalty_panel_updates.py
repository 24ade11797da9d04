"""The register's loyalty panel is updated in place, never rebuilt: a customer found, an item scanned
or a quote changes its words, not its widgets; "Looking up…" shows only for a slow lookup; and
what did not change (the screen, the basket, the totals, the footer's keys) is not drawn again."""

from __future__ import annotations

import asyncio

import httpx

from cashier_tui.screens.phone_entry import PhoneEntryScreen
from cashier_tui.widgets.basket_view import BasketView
from cashier_tui.widgets.loyalty_panel import LoyaltyPanel
from cashier_tui.widgets.totals_view import TotalsView
from devices.identification import Identification
from tests.app.conftest import find_customer, product_in, wait_for
from tests.app.test_register_flow import identify, panel_text, ready, scan
from till_tui.keys_footer import KeysFooter

SIZE = (80, 24)


def shown(panel: LoyaltyPanel) -> list[str]:
    """The keys of the panel's lines as drawn, in order."""
    return panel.shown()


async def test_the_panel_changes_its_words_not_its_widgets(cashier, api: httpx.Client) -> None:
    phone, summary = find_customer(api, lambda s: s["next_reward"] is not None and s["rewards_available"])
    loaf = product_in(api, "bakery")
    app = cashier()
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(pilot)
        panel = screen.query_one(LoyaltyPanel)
        await wait_for(pilot, lambda: shown(panel) == ["panel-no-customer", "panel-no-customer-hint"])
        region = panel.region
        await identify(pilot, phone)
        await wait_for(pilot, lambda: screen.sale.customer is not None)
        assert panel_text(screen, "#customer-name") == summary["display_name"]
        assert shown(panel)[:3] == ["customer-name", "customer-tier", "customer-balance"]
        assert "panel-no-customer" not in shown(panel) and "points-this-sale" not in shown(panel)
        rewards = [key for key in shown(panel) if key.startswith("reward-")]
        assert len(rewards) == len(summary["rewards_available"])
        await scan(pilot, loaf["sku"])
        await wait_for(pilot, lambda: screen.quote is not None)
        await wait_for(pilot, lambda: "points-this-sale" in shown(panel))
        assert f"+{screen.quote.points_earned:,} pts" in panel_text(screen, "#points-this-sale")
        # One widget throughout, of one size: its words change, never the screen's layout.
        assert list(panel.children) == [] and panel.region == region
        await pilot.press("f7")
        await wait_for(pilot, lambda: screen.sale.customer is None)
        await wait_for(pilot, lambda: shown(panel) == ["panel-no-customer", "panel-no-customer-hint"])


async def test_looking_up_shows_only_while_a_lookup_is_slow(cashier, api: httpx.Client, monkeypatch) -> None:
    phone, summary = find_customer(api, lambda s: True)
    app = cashier()
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(pilot)
        panel = screen.query_one(LoyaltyPanel)
        answer = asyncio.Event()
        real = app.checkout.client.identify
        at_the_call: list[list[str]] = []

        async def slow(method: str, value: str):
            at_the_call.append(shown(panel))  # the lookup has begun: what the panel shows then
            await answer.wait()  # the service takes its time
            return await real(method, value)

        monkeypatch.setattr(app.checkout.client, "identify", slow)
        await identify(pilot, phone)
        await wait_for(pilot, lambda: at_the_call)
        assert screen.looking_up
        assert at_the_call == [["panel-no-customer", "panel-no-customer-hint"]]  # not at once: no flicker
        await wait_for(pilot, lambda: shown(panel) == ["panel-looking-up"])  # after LOOKING_UP_AFTER
        answer.set()
        await wait_for(pilot, lambda: screen.sale.customer is not None)
        await wait_for(pilot, lambda: shown(panel)[:1] == ["customer-name"])
        assert panel_text(screen, "#customer-name") == summary["display_name"]


def counting(widget, attribute: str) -> list[int]:
    """Count the calls of one widget's method (the widget's own calls included)."""
    calls: list[int] = []
    real = getattr(widget, attribute)

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    setattr(widget, attribute, counted)
    return calls


async def test_a_customer_found_redraws_only_what_changed(cashier, api: httpx.Client) -> None:
    """The screen, the basket and totals that say the same, and a footer whose keys are the same
    are not drawn again, and nothing is laid out: a redraw of the screen redrew every widget on
    it, and Textual's footer rebuilt itself (a widget per key, then a layout) each time the phone
    dialog closed, in the frames the customer's panel waited for."""
    phone, summary = find_customer(api, lambda s: True)
    app = cashier()
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(pilot)
        footer = screen.query_one(KeysFooter)
        await pilot.pause()
        drawn = counting(footer, "refresh")
        before = footer.keys
        await pilot.press("f2")
        await wait_for(pilot, lambda: isinstance(app.screen, PhoneEntryScreen))
        await pilot.press("escape")  # the dialog closes: the register's keys are as they were
        await wait_for(pilot, lambda: app.screen is screen)
        await pilot.pause()
        assert drawn == [] and footer.keys == before
        redrawn = {name: counting(widget, "refresh") for name, widget in
                   (("screen", screen), ("basket", screen.query_one(BasketView)),
                    ("totals", screen.query_one(TotalsView)))}
        layouts = counting(screen, "_refresh_layout")
        screen.present(Identification("phone", phone, phone, "keyboard"))  # as a scanner or reader would
        panel = screen.query_one(LoyaltyPanel)
        await wait_for(pilot, lambda: panel.drawn_text("customer-name") == summary["display_name"])
        await pilot.pause()
        assert {name: len(calls) for name, calls in redrawn.items()} == {"screen": 0, "basket": 0, "totals": 0}
        assert layouts == []
        # The footer drew the keys a customer brings, in the same line.
        assert drawn and {key.description for key in footer.keys} - {key.description for key in before}
        assert not footer.children  # one widget: nothing mounted


async def test_a_click_on_a_footer_key_presses_it(cashier) -> None:
    app = cashier()
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(pilot)
        footer = screen.query_one(KeysFooter)
        await pilot.pause()
        column = next(x for x in range(SIZE[0]) if (key := footer.key_at(x)) and key.key == "f2")
        await pilot.click(footer, offset=(column, 0))
        await wait_for(pilot, lambda: isinstance(app.screen, PhoneEntryScreen))
