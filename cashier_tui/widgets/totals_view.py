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
    """Redrawn, and laid out again (a row may come, go or wrap), only when a row's words change:
    a new sale object that says the same (a customer found before any item, a quote unchanged)
    leaves the totals as they were drawn."""

    sale: reactive[Sale | None] = reactive(None, repaint=False)
    quote: reactive[Quote | None] = reactive(None, repaint=False)
    quote_pending: reactive[bool] = reactive(False, repaint=False)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._rows: tuple[tuple[Text, Text], ...] = ()

    def watch_sale(self) -> None:
        self._update_rows()

    def watch_quote(self) -> None:
        self._update_rows()

    def watch_quote_pending(self) -> None:
        self._update_rows()

    def _update_rows(self) -> None:
        rows = self._rows_now()
        if rows != self._rows:
            self._rows = rows
            self.refresh(layout=True)

    def render(self) -> Table:
        grid = Table.grid(expand=True)
        grid.add_column()
        grid.add_column(justify="right")
        for row in self._rows:
            grid.add_row(*row)
        return grid

    def _rows_now(self) -> tuple[tuple[Text, Text], ...]:
        sale = self.sale
        if sale is None:
            return ()
        money = lambda minor: format_money(minor, sale.currency)  # noqa: E731
        items = sale.basket.item_count
        # Rich Table cells given a str read it as markup: every cell here is a Text.
        rows = [(Text(f"Subtotal ({items} item{'s' if items != 1 else ''})"), Text(money(sale.basket.subtotal)))]
        quote = self.quote if sale.customer else None
        for discount in quote.discounts if quote else ():
            rows.append((Text(f"  {printable(discount.name)}", style="italic"), Text(money(-discount.amount), style="italic")))
        rows.append((Text("TOTAL", style="bold"), Text(money(amount_due(sale, quote)), style="bold")))
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
            rows.append((Text(points, style="dim"), Text("")))
        return tuple(rows)
