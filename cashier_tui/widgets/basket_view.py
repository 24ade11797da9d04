"""The basket as a table of lines; the highlighted line is the one F4 voids and F6 changes."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import DataTable

from pos_core.money import format_money
from pos_core.sale import Sale

ITEM_WIDTH = 21


class BasketView(DataTable[Text | str]):
    sale: reactive[Sale | None] = reactive(None)

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        self.add_column("Item", width=ITEM_WIDTH, key="item")
        self.add_column(Text("Qty", justify="right"), width=3, key="qty")
        self.add_column(Text("Price", justify="right"), width=8, key="price")
        self.add_column(Text("Total", justify="right"), width=9, key="total")

    @property
    def selected_index(self) -> int | None:
        if self.sale is None or not self.sale.basket.lines:
            return None
        return min(self.cursor_row, len(self.sale.basket.lines) - 1)

    def watch_sale(self, old: Sale | None, new: Sale | None) -> None:
        if not self.columns:
            return
        keep = self.cursor_row
        self.clear()
        if new is None:
            return
        currency = new.currency
        for index, line in enumerate(new.basket.lines):
            name = line.product.name
            if len(name) > ITEM_WIDTH:
                name = name[: ITEM_WIDTH - 1] + "…"
            self.add_row(
                name,
                Text(str(line.quantity), justify="right"),
                Text(format_money(line.product.unit_price, currency), justify="right"),
                Text(format_money(line.line_total, currency), justify="right"),
                key=str(index),
            )
        if not new.basket.lines:
            return
        grew = old is None or len(new.basket.lines) > len(old.basket.lines)
        changed = _changed_line(old, new)
        row = len(new.basket.lines) - 1 if grew else changed if changed is not None else keep
        self.move_cursor(row=min(row, len(new.basket.lines) - 1))


def _changed_line(old: Sale | None, new: Sale) -> int | None:
    """The line whose quantity changed (rescanning an item grows its line: highlight it)."""
    if old is None or len(old.basket.lines) != len(new.basket.lines):
        return None
    for index, (a, b) in enumerate(zip(old.basket.lines, new.basket.lines, strict=True)):
        if a != b:
            return index
    return None
