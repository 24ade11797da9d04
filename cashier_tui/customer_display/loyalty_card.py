"""The customer's loyalty picture on the display that faces them: first name and initial, tier,
balance, a bar and a sentence for the next reward, and the points this sale earns.

Everything here comes from the till's customer view and is shown as text (``Content``), never
markup: a name like ``[b]Zed`` reads exactly so.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Label, ProgressBar

from pos_core.shown_text import printable


def text(value: Any) -> Content:
    """A value from the view as plain text for a widget."""
    return Content(printable(str(value)))


def count(value: Any) -> str:
    """A number of points from the view, grouped ("1,212"); anything else shown as it is."""
    return f"{value:,}" if isinstance(value, int) else printable(str(value))


class LoyaltyCard(Vertical, can_focus=False):
    customer: reactive[dict[str, Any] | None] = reactive(None, recompose=True)
    points_this_sale: reactive[int | None] = reactive(None, recompose=True)
    points_estimated: reactive[bool] = reactive(False, recompose=True)

    def compose(self) -> ComposeResult:
        customer = self.customer
        if not customer:
            yield Label("Collect points", classes="card-title")
            yield Label("Show your loyalty card or app to the cashier, or give your phone number.",
                        classes="muted")
            return
        yield Label(text(customer.get("name", "")), id="card-name", classes="card-title")
        yield Label(Content.assemble(text(customer.get("tier", "")), " member"), id="card-tier")
        balance = f"{count(customer.get('balance', 0))} points"
        if customer.get("balance_provisional"):
            balance += " (to be confirmed)"
        yield Label(Content.assemble("Balance  ", balance), id="card-balance")
        reward = customer.get("next_reward")
        if reward and isinstance(reward.get("cost"), int) and reward["cost"] > 0:
            cost = reward["cost"]
            bar = ProgressBar(total=cost, show_eta=False, show_percentage=False, id="card-progress-bar")
            needed = reward.get("points_needed")
            bar.progress = max(0, min(cost, cost - needed)) if isinstance(needed, int) else 0
            yield bar
        if customer.get("progress"):
            yield Label(text(customer["progress"]), id="card-progress")
        if self.points_this_sale is not None:
            points = count(self.points_this_sale)
            estimate = " (estimate)" if self.points_estimated else ""
            yield Label(Content.assemble("This shop earns you ", points, " points", estimate), id="card-points")
