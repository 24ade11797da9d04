"""Subtotal, reward discounts, the total to pay, and the points this sale will earn."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from pos_core.loyalty_models import Quote
from pos_core.money import format_money
from pos_core.sale import Sale, amount_due
from pos_core.shown_text import printable


class TotalsView(Widget):
    # layout=True: the number of lines (discounts, points) changes with the state.
    sale: reactive[Sale | None] = reactive(None, layout=True)
    quote: reactive[Quote | None] = reactive(None, layout=True)
    quote_pending: reactive[bool] = reactive(False, layout=True)

    def render(self) -> Table:
        grid = Table.grid(expand=True)
        grid.add_column()
        grid.add_column(justify="right")
        sale = self.sale
        if sale is None:
            return grid
        money = lambda minor: format_money(minor, sale.currency)  # noqa: E731
        items = sale.basket.item_count
        # Rich Table cells given a str read it as markup: every cell here is a Text.
        grid.add_row(Text(f"Subtotal ({items} item{'s' if items != 1 else ''})"), Text(money(sale.basket.subtotal)))
        quote = self.quote if sale.customer else None
        for discount in quote.discounts if quote else ():
            grid.add_row(Text(f"  {printable(discount.name)}", style="italic"), Text(money(-discount.amount), style="italic"))
        total = Text(money(amount_due(sale, quote)), style="bold")
        grid.add_row(Text("TOTAL", style="bold"), total)
        if sale.customer is not None and sale.basket.lines:
            if self.quote_pending:
                points = "Points: working out…"
            elif quote is not None and quote.estimated:
                points = f"Points this sale: about +{quote.points_earned:,} (offline estimate)"
            elif quote is not None:
                points = f"Points this sale: +{quote.points_earned:,}"
                if quote.points_redeemed:
                    points += f"  (using {quote.points_redeemed:,})"
            else:
                points = "Points: not available now"
            grid.add_row(Text(points, style="dim"), Text(""))
        return grid
