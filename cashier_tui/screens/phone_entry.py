"""Ask for the customer's phone number, formatted as it is typed, checked before any lookup."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from pos_core.phone_number import InvalidPhoneNumber, PhoneNumber, format_as_you_type, parse_phone


class PhoneEntryScreen(ModalScreen[PhoneNumber | None]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="phone.cancel", tooltip="Close without looking anyone up"),
    ]

    def __init__(self, region: str) -> None:
        super().__init__()
        self.region = region

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="phone-dialog"):
            yield Label("Customer's phone number", classes="dialog-title")
            yield Input(
                placeholder="e.g. 020 7946 0123",
                restrict=r"[0-9+()\- ]*",
                max_length=24,
                id="phone-input",
            )
            yield Label("", id="phone-error", classes="error")
            yield Label("Enter  look up    Esc  cancel", classes="hint")

    @on(Input.Changed, "#phone-input")
    def reformat(self, event: Input.Changed) -> None:
        self.query_one("#phone-error", Label).update("")
        formatted = format_as_you_type(event.value, self.region)
        if formatted and formatted != event.value and event.input.cursor_position == len(event.value):
            event.input.value = formatted
            event.input.cursor_position = len(formatted)

    @on(Input.Submitted, "#phone-input")
    def submit(self, event: Input.Submitted) -> None:
        try:
            number = parse_phone(event.value, self.region)
        except InvalidPhoneNumber as error:
            self.query_one("#phone-error", Label).update(str(error))
            return
        self.dismiss(number)

    def action_cancel(self) -> None:
        self.dismiss(None)
