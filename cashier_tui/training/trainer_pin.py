"""The trainer's PIN, asked before a running register switches into training mode."""

from __future__ import annotations

import hmac

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label


class TrainerPinScreen(ModalScreen[bool]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="trainer_pin.cancel", tooltip="Stay on the register")]

    def __init__(self, trainer_pin: str) -> None:
        super().__init__()
        self.trainer_pin = trainer_pin

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="trainer-pin-dialog"):
            yield Label("Switch to training mode", classes="dialog-title")
            yield Label("The register closes and opens again on a practice store: no real accounts.", classes="muted")
            yield Input(placeholder="Trainer's PIN", password=True, restrict=r"[0-9]*", max_length=8, id="trainer-pin")
            yield Label("", id="trainer-pin-error", classes="problem")
            yield Label("Enter  switch    Esc  stay", classes="hint")

    @on(Input.Submitted, "#trainer-pin")
    def submit(self, event: Input.Submitted) -> None:
        if hmac.compare_digest(event.value.encode(), self.trainer_pin.encode()):
            self.dismiss(True)
            return
        event.input.value = ""
        self.query_one("#trainer-pin-error", Label).update("That PIN is not right.")

    def action_cancel(self) -> None:
        self.dismiss(False)
