"""Take payment: cash (with change) or card for the exact amount. No card processing here."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label

from pos_core.checkout import PaymentError, check_tender
from pos_core.money import InvalidAmount, format_money, parse_money
from pos_core.sale import Tender


class PaymentScreen(ModalScreen[tuple[Tender, ...] | None]):
    BINDINGS = [
        Binding("escape", "cancel", "Back", id="payment.cancel", tooltip="Back to the basket without paying"),
        Binding("f9", "card", "Card", id="payment.card", tooltip="The customer paid the exact total by card"),
    ]

    def __init__(self, due: int, currency: str) -> None:
        super().__init__()
        self.due = due
        self.currency = currency

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="payment-dialog"):
            yield Label(f"To pay  {format_money(self.due, self.currency)}", classes="dialog-title", id="amount-due")
            yield Input(placeholder="Cash received (empty: exact amount)", restrict=r"[0-9.,£$€ ]*", id="cash-received")
            yield Label("", id="payment-error", classes="problem", markup=False)
            yield Label("Enter  cash    F9  card    Esc  back", classes="hint")
            with Horizontal(classes="buttons"):
                yield Button("Cash", variant="primary", id="pay-cash")
                yield Button("Card", id="pay-card")
                yield Button("Back", id="pay-cancel")

    @on(Input.Submitted, "#cash-received")
    @on(Button.Pressed, "#pay-cash")
    def action_cash(self) -> None:
        text = self.query_one("#cash-received", Input).value
        error = self.query_one("#payment-error", Label)
        try:
            amount = parse_money(text, self.currency) if text.strip() else self.due
            # A basket paid wholly by rewards needs no tender at all.
            tender = (Tender("cash", amount),) if amount else ()
            check_tender(tender, self.due)
        except (InvalidAmount, PaymentError) as problem:
            error.update(f"{problem} {format_money(self.due, self.currency)} is due.")
            return
        except ValueError:
            error.update("Enter the cash the customer handed over.")
            return
        self.dismiss(tender)

    @on(Button.Pressed, "#pay-card")
    def action_card(self) -> None:
        self.dismiss((Tender("card", self.due),) if self.due else ())

    @on(Button.Pressed, "#pay-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
