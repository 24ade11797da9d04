"""The receipt of a paid sale, with the change to give and the points credited; then a new sale."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Label, Static

from pos_core.money import format_money
from pos_core.receipt_by_email import receipt_words
from pos_core.sale import CompletedSale
from pos_core.shown_text import printable
from till_tui.keys_footer import KeysFooter


class ReceiptScreen(Screen[None]):
    BINDINGS = [
        Binding("enter", "new_sale", "New sale", id="receipt.new_sale", tooltip="Close the receipt and start the next sale", priority=True),
        Binding("f8", "new_sale", "New sale", show=False, id="receipt.new_sale_f8", tooltip="Close the receipt and start the next sale"),
    ]

    def __init__(self, done: CompletedSale, lines: list[str]) -> None:
        super().__init__()
        self.done = done
        self.lines = lines

    def compose(self) -> ComposeResult:
        currency = self.done.sale.currency
        with Horizontal(id="receipt-layout"):
            with VerticalScroll(id="receipt-paper"):
                # A Rich Text keeps the receipt's own spacing (centred header, right-aligned amounts).
                # Store, product and customer names on it are data: no control character reaches the terminal.
                paper = "\n".join(printable(line) for line in self.lines)
                yield Static(Text(paper, no_wrap=True, overflow="crop"), id="receipt-text")
            with Vertical(id="receipt-summary"):
                yield Label("Paid", classes="dialog-title")
                yield Label(f"Total  {format_money(self.done.total, currency)}")
                if self.done.change:
                    yield Label(f"Give change  {format_money(self.done.change, currency)}", id="change-due")
                loyalty = self.done.loyalty
                if loyalty is not None:
                    yield Label(f"Points credited  +{loyalty.points_credited:,}", id="points-credited")
                    if loyalty.points_held_for_review:
                        yield Label(f"Held for review  {loyalty.points_held_for_review:,}: head office checks"
                                    " large earnings before crediting them", id="points-held")
                    yield Label(f"New balance  {loyalty.balance:,} pts", id="new-balance")
                elif self.done.points_pending:
                    yield Label(f"Points pending  +{self.done.points_expected:,}", id="points-pending")
                    yield Label("Saved on this till; sent when the loyalty service answers.", classes="muted")
                else:
                    yield Label("No loyalty card on this sale.", classes="muted")
                if (emailed := receipt_words(self.done)) is not None:
                    yield Label(emailed, id="receipt-emailed", markup=False)  # the address masked
                yield Label("Enter  next sale", classes="hint")
        yield KeysFooter()

    def action_new_sale(self) -> None:
        self.dismiss(None)
