"""Pay at the kiosk (simulated: the card reader or cash unit is not driven from here)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label

from pos_core.money import format_money
from pos_core.sale import Tender


class KioskPaymentScreen(ModalScreen[tuple[Tender, ...] | None]):
    def __init__(self, due: int, currency: str) -> None:
        super().__init__()
        self.due = due
        self.currency = currency

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="pay-dialog"):
            yield Label(f"Pay {format_money(self.due, self.currency)}", classes="title")
            yield Label("Tap or insert your card, or pay with cash.", classes="center")
            with Horizontal(classes="row"):
                yield Button("Card", variant="success", id="pay-card")
                yield Button("Cash", variant="primary", id="pay-cash")
                yield Button("Back", id="pay-back")

    @on(Button.Pressed, "#pay-card")
    def card(self) -> None:
        self.dismiss((Tender("card", self.due),) if self.due else ())

    @on(Button.Pressed, "#pay-cash")
    def cash(self) -> None:
        self.dismiss((Tender("cash", self.due),) if self.due else ())

    @on(Button.Pressed, "#pay-back")
    def back(self) -> None:
        self.dismiss(None)
