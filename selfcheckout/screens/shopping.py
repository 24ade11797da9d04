"""Scanning: the basket in big type, the rewards strip, and the way to pay."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, DataTable, Input, Label

from pos_core.loyalty_models import Quote
from pos_core.money import format_money
from pos_core.sale import Sale, amount_due
from pos_core.shown_text import printable
from selfcheckout.widgets.customer_strip import CustomerStrip

if TYPE_CHECKING:
    from selfcheckout.app import SelfCheckoutApp


class ShoppingScreen(Screen[None]):
    def compose(self) -> ComposeResult:
        with Horizontal(id="top-strip"):
            yield CustomerStrip(id="customer-strip")
            yield Button("Add rewards", variant="primary", id="add-rewards")
        with Vertical(id="shopping-body"):
            yield DataTable(id="kiosk-basket", cursor_type="row", zebra_stripes=True)
            yield Label("", id="kiosk-total", markup=False)
            yield Input(placeholder="Scan your items here", max_length=64, id="scan-input")
            yield Label("", id="shopping-problem", classes="problem", markup=False)
        with Horizontal(id="actions"):
            yield Button("Pay", variant="success", id="pay")
            yield Button("Remove item", id="remove-item")
            yield Button("Call assistance", variant="warning", id="assist")

    @property
    def kiosk(self) -> SelfCheckoutApp:
        return cast("SelfCheckoutApp", self.app)

    def on_mount(self) -> None:
        table = self.query_one("#kiosk-basket", DataTable)
        table.add_column("Item", key="item")
        table.add_column(Text("Qty", justify="right"), key="qty")
        table.add_column(Text("Price", justify="right"), key="price")
        self.watch(self.app, "sale", self.show_sale)
        self.watch(self.app, "quote", self.show_quote)

    def on_screen_resume(self) -> None:
        self.query_one("#scan-input", Input).focus()

    def show_sale(self, sale: Sale | None) -> None:
        table = self.query_one("#kiosk-basket", DataTable)
        table.clear()
        if sale is None:
            return
        for index, line in enumerate(sale.basket.lines):
            table.add_row(
                Text(printable(line.product.name)),  # a str cell would be read as markup
                Text(str(line.quantity), justify="right"),
                Text(format_money(line.line_total, sale.currency), justify="right"),
                key=str(index),
            )
        if sale.basket.lines:
            table.move_cursor(row=len(sale.basket.lines) - 1)
        self.query_one("#customer-strip", CustomerStrip).customer = sale.customer
        self.query_one("#add-rewards", Button).display = sale.customer is None
        self.query_one("#pay", Button).disabled = not sale.basket.lines
        self.show_quote(self.kiosk.quote)

    def show_quote(self, quote: Quote | None) -> None:
        sale = self.kiosk.sale
        if sale is None:
            return
        total = format_money(amount_due(sale, quote), sale.currency)
        text = f"Total {total}"
        if quote is not None and quote.discount_total:
            text += f"   (you save {format_money(quote.discount_total, sale.currency)})"
        if quote is not None and sale.customer is not None:
            text += f"   ·   {'about ' if quote.estimated else ''}+{quote.points_earned:,} points"
        self.query_one("#kiosk-total", Label).update(text)
        self.query_one("#pay", Button).label = Content(f"Pay {total}")

    def problem(self, text: str) -> None:
        self.query_one("#shopping-problem", Label).update(text)

    @on(Input.Submitted, "#scan-input")
    def scanned(self, event: Input.Submitted) -> None:
        event.input.value = ""
        self.problem(self.kiosk.scan(event.value) or "")

    @on(Button.Pressed, "#add-rewards")
    def add_rewards(self) -> None:
        self.kiosk.sign_in()

    @on(Button.Pressed, "#pay")
    def pay(self) -> None:
        self.kiosk.pay()

    @on(Button.Pressed, "#remove-item")
    def remove_item(self) -> None:
        index = self.query_one("#kiosk-basket", DataTable).cursor_row
        self.kiosk.remove_item(index)

    @on(Button.Pressed, "#assist")
    def assist(self) -> None:
        self.kiosk.call_assistance("A shopper needs help with their basket.")
