"""Pay at the kiosk (simulated: the card reader or cash unit is not driven from here). A member
with an e-mail address on file is offered "E-mail my receipt" to it (masked), ticked when that is
their standing choice; the kiosk reads ``email_receipt`` once the screen closes. No address is
typed at a kiosk."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.content import Content
from textual.widgets import Button, Checkbox, Label

from pos_core.money import format_money
from pos_core.sale import Tender


class KioskPaymentScreen(ModalScreen[tuple[Tender, ...] | None]):
    def __init__(self, due: int, currency: str, *, email_on_file: str | None = None, emailed: bool = False) -> None:
        super().__init__()
        self.due = due
        self.currency = currency
        self.email_on_file = email_on_file  # masked ("j•••@example.com"); None: not offered
        self.emailed = emailed  # the member's standing choice
        # What the shopper chose: None (not offered: the standing choice stands), True or False.
        self.email_receipt: bool | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="pay-dialog"):
            yield Label(f"Pay {format_money(self.due, self.currency)}", classes="title")
            yield Label("Tap or insert your card, or pay with cash.", classes="center")
            if self.email_on_file:
                yield Checkbox(Content(f"E-mail my receipt to {self.email_on_file}"), value=self.emailed,
                               id="pay-email-receipt", compact=True)
            with Horizontal(classes="row"):
                yield Button("Card", variant="success", id="pay-card")
                yield Button("Cash", variant="primary", id="pay-cash")
                yield Button("Back", id="pay-back")

    @on(Checkbox.Changed, "#pay-email-receipt")
    def email_chosen(self, event: Checkbox.Changed) -> None:
        self.email_receipt = event.value

    @on(Button.Pressed, "#pay-card")
    def card(self) -> None:
        self.dismiss((Tender("card", self.due),) if self.due else ())

    @on(Button.Pressed, "#pay-cash")
    def cash(self) -> None:
        self.dismiss((Tender("cash", self.due),) if self.due else ())

    @on(Button.Pressed, "#pay-back")
    def back(self) -> None:
        self.dismiss(None)
