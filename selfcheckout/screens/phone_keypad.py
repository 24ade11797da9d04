"""Phone number on a big keypad, formatted as the shopper types; checked before any lookup."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.events import Key
from textual.screen import ModalScreen
from textual.widgets import Button, Label

from devices.identification import Identification
from devices.phone_entry import PhoneEntry
from pos_core.phone_number import InvalidPhoneNumber
from selfcheckout.widgets.keypad import Keypad


class PhoneKeypadScreen(ModalScreen[Identification | None]):
    BINDINGS = [Binding("escape", "cancel", "Back", id="kiosk.phone.back", tooltip="Back without signing in")]

    def __init__(self, region: str) -> None:
        super().__init__()
        self.entry = PhoneEntry(region)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="phone-dialog"):
            yield Label("Enter your phone number", classes="title")
            yield Label("", id="phone-shown", classes="center", markup=False)
            yield Keypad(id="keypad")
            yield Label("", id="phone-problem", classes="problem")
            with Horizontal(classes="row"):
                yield Button("Done", variant="success", id="phone-ok")
                yield Button("Back", id="phone-back")

    def on_key(self, event: Key) -> None:
        # A keyboard works as well as the touch pad.
        if event.character and (event.character.isdigit() or event.character == "+"):
            self.press(event.character)
        elif event.key == "backspace":
            self.press("backspace")
        elif event.key == "enter":
            self.submit()
        else:
            return
        event.stop()

    @on(Keypad.Pressed)
    def keypad(self, event: Keypad.Pressed) -> None:
        self.press(event.key)

    def press(self, key: str) -> None:
        self.entry.press(key)
        self.query_one("#phone-shown", Label).update(self.entry.shown)
        self.query_one("#phone-problem", Label).update("")

    @on(Button.Pressed, "#phone-ok")
    def submit(self) -> None:
        try:
            identification = self.entry.read()
        except InvalidPhoneNumber:
            self.query_one("#phone-problem", Label).update("That number doesn't look right. Please check it.")
            return
        self.dismiss(identification)

    @on(Button.Pressed, "#phone-back")
    def action_cancel(self) -> None:
        self.dismiss(None)
