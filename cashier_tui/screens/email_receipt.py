"""E-mail this sale's receipt (Ctrl+E): for a customer with an address on file, their masked address
to send to or not this time; otherwise, or for another address, one typed for this sale only
(checked here, never kept on the account). Dismisses with the choice, or None to leave it as it was."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label

from pos_core.email_address import MAX_LENGTH, InvalidEmail, checked_email


@dataclass(frozen=True, slots=True)
class EmailReceiptChoice:
    send: bool
    address: str | None = None  # for this sale only, checked; None: the address on file


class EmailReceiptScreen(ModalScreen[EmailReceiptChoice | None]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="email_receipt.cancel", tooltip="Leave the receipt as it was"),
    ]

    def __init__(self, on_file: str | None) -> None:
        super().__init__()
        self.on_file = on_file  # the masked address on file ("j•••@example.com"), or None

    @property
    def address_field(self) -> Input:
        return self.query_one("#email-receipt-address", Input)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="email-receipt-dialog"):
            yield Label("E-mail the receipt for this sale", classes="dialog-title")
            if self.on_file:
                yield Label(f"To the address on file: {self.on_file}", id="email-receipt-on-file", markup=False)
                placeholder = "Or another address, for this sale only"
            else:
                yield Label("No address on file: type the customer's, for this sale only.", markup=False)
                placeholder = "name@example.com"
            yield Input(placeholder=placeholder, max_length=MAX_LENGTH, id="email-receipt-address")
            yield Label("", id="email-receipt-error", classes="problem", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Send", variant="primary", id="email-receipt-send")
                yield Button("Not this time", id="email-receipt-no")

    def on_mount(self) -> None:
        self.address_field.focus()

    @on(Input.Submitted, "#email-receipt-address")
    @on(Button.Pressed, "#email-receipt-send")
    def send(self) -> None:
        typed = self.address_field.value
        if not typed.strip() and self.on_file:
            self.dismiss(EmailReceiptChoice(True))
            return
        try:
            address = checked_email(typed)
        except InvalidEmail as problem:
            self.query_one("#email-receipt-error", Label).update(str(problem))
            self.address_field.focus()
            return
        self.dismiss(EmailReceiptChoice(True, address))

    @on(Button.Pressed, "#email-receipt-no")
    def not_this_time(self) -> None:
        self.dismiss(EmailReceiptChoice(False))

    def action_cancel(self) -> None:
        self.dismiss(None)
