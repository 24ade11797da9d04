"""Ask for the customer's phone number, formatted as it is typed, checked before any lookup."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from cashier_tui.widgets.phone_input import PhoneInput
from devices.identification import Identification
from devices.phone_entry import PhoneEntry
from pos_core.phone_number import InvalidPhoneNumber


class PhoneEntryScreen(ModalScreen[Identification | None]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="phone.cancel", tooltip="Close without looking anyone up"),
    ]

    def __init__(self, region: str) -> None:
        super().__init__()
        self.phone_region = region
        self.entry = PhoneEntry(region)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="phone-dialog"):
            yield Label("Customer's phone number", classes="dialog-title")
            yield PhoneInput(self.phone_region, id="phone-input")
            yield Label("", id="phone-error", classes="problem", markup=False)
            yield Label("Enter  look up    Esc  cancel", classes="hint")

    @on(Input.Changed, "#phone-input")
    def clear_error(self) -> None:
        error = self.query_one("#phone-error", Label)
        if error.content:  # an update lays the dialog out again: only when there is one to clear
            error.update("")

    @on(Input.Submitted, "#phone-input")
    def submit(self, event: Input.Submitted) -> None:
        self.entry.set_text(event.value)
        try:
            identification = self.entry.read()
        except InvalidPhoneNumber as error:
            self.query_one("#phone-error", Label).update(str(error))
            return
        self.dismiss(identification)

    def action_cancel(self) -> None:
        self.dismiss(None)
