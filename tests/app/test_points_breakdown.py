"""F5 at the register: "Why these points?" lists the quote's breakdown in plain words, at 80×24."""

from __future__ import annotations

import httpx
from textual.widgets import Label

from cashier_tui.screens.points_breakdown import PointsBreakdownScreen, explain
from cashier_tui.screens.register import RegisterScreen
from tests.app.conftest import wait_for
from tests.app.test_register_flow import SIZE, identify, ready, scan


async def test_why_these_points_lists_the_quote_line_by_line(cashier, api: httpx.Client) -> None:
    app = cashier()
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(pilot)
        await scan(pilot, "1005")  # sourdough: base rate
        await scan(pilot, "1038")  # bagels: a fixed bonus
        await scan(pilot, "1034")  # cigarettes: excluded
        assert not screen.check_action("why_points", ())  # nothing to explain yet
        await identify(pilot, "020 7946 0001")  # Alice, Silver ×1.25
        await wait_for(pilot, lambda: screen.quote is not None)
        await pilot.pause()
        assert any(b.id == "register.why_points" for b in RegisterScreen.BINDINGS)
        await pilot.press("f5")
        dialog = await wait_for(pilot, lambda: isinstance(app.screen, PointsBreakdownScreen) and app.screen)
        await pilot.pause()
        quote = screen.quote
        shown = [str(label.render()) for label in dialog.query(".why-line").results(Label)]
        assert shown == [explain(entry, quote.currency) for entry in quote.breakdown]
        assert [e.rule for e in quote.breakdown] == ["base", "base", "excluded", "bonus", "tier", "rounding"]
        assert "Cigarettes 20: tobacco earns no points" in shown
        assert any("bagels" in line.lower() and "+25 pts" in line for line in shown)
        assert f"earns {quote.points_earned:,} pts" in str(dialog.query_one("#why-total", Label).render())
        assert sum(e.points for e in quote.breakdown) == quote.points_earned
        # It fits the smallest register: the dialog and its close button are on screen.
        region = dialog.query_one("#why-dialog").region
        assert region.right <= SIZE[0] and region.bottom <= SIZE[1]
        assert dialog.query_one("#why-close").region.bottom <= SIZE[1]
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
