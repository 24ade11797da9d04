"""The basket as a table of lines; the highlighted line is the one F4 voids and F6 changes."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.reactive import reactive
from textual.widgets import DataTable

from pos_core.money import format_money
from pos_core.sale import Sale
from pos_core.shown_text import printable

# Qty, price and total take what they need; the item name gets the rest of the width.
FIXED_COLUMNS = (("Qty", 3), ("Price", 7), ("Total", 8))
MIN_ITEM_WIDTH = 12


class BasketView(DataTable[Text | str]):
    # No repaint of its own for a new sale: the table redraws when its rows change (watch_sale),
    # and a sale that changed only its customer, rewards or quote leaves the table as drawn.
    sale: reactive[Sale | None] = reactive(None, repaint=False)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._item_width = 0

    @property
    def selected_index(self) -> int | None:
        if self.sale is None or not self.sale.basket.lines:
            return None
        return min(self.cursor_row, len(self.sale.basket.lines) - 1)

    def on_resize(self, event: events.Resize) -> None:
        padding = 2 * self.cell_padding * (len(FIXED_COLUMNS) + 1)
        # One column spare for the vertical scrollbar when the basket grows long.
        width = max(MIN_ITEM_WIDTH, event.size.width - sum(w for _, w in FIXED_COLUMNS) - padding - 2)
        if width != self._item_width:
            self._item_width = width
            self.clear(columns=True)
            self.add_column("Item", width=width, key="item")
            for label, column_width in FIXED_COLUMNS:
                self.add_column(Text(label, justify="right"), width=column_width, key=label.lower())
            self._fill(self.sale, keep_row=self.cursor_row)

    def watch_sale(self, old: Sale | None, new: Sale | None) -> None:
        if not self._item_width:
            return
        if old is not None and new is not None and old.basket == new.basket and old.currency == new.currency:
            return  # the customer, rewards or quote changed: the lines did not, so neither does the table
        grew = new is not None and (old is None or len(new.basket.lines) > len(old.basket.lines))
        changed = _changed_line(old, new) if new is not None else None
        if grew:
            row = len(new.basket.lines) - 1
        else:
            row = changed if changed is not None else self.cursor_row
        self._fill(new, keep_row=row)

    def _fill(self, sale: Sale | None, *, keep_row: int) -> None:
        self.clear()
        if sale is None or not sale.basket.lines:
            return
        for index, line in enumerate(sale.basket.lines):
            name = printable(line.product.name)  # a Text, never markup: names are data
            if len(name) > self._item_width:
                name = name[: self._item_width - 1] + "…"
            self.add_row(
                Text(name),
                Text(str(line.quantity), justify="right"),
                Text(format_money(line.product.unit_price, sale.currency), justify="right"),
                Text(format_money(line.line_total, sale.currency), justify="right"),
                key=str(index),
            )
        self.move_cursor(row=max(0, min(keep_row, len(sale.basket.lines) - 1)))


def _changed_line(old: Sale | None, new: Sale) -> int | None:
    """The line whose quantity changed (rescanning an item grows its line: highlight it)."""
    if old is None or len(old.basket.lines) != len(new.basket.lines):
        return None
    for index, (a, b) in enumerate(zip(old.basket.lines, new.basket.lines, strict=True)):
        if a != b:
            return index
    return None
