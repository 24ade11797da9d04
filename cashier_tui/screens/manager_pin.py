"""A manager's PIN, asked when the loyalty service needs one for what the cashier is doing (a late
or large return). The PIN is checked by the service, never here; this only collects it."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label


class ManagerPinScreen(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="manager_pin.cancel", tooltip="Go back without a manager")]

    def __init__(self, why: str) -> None:
        super().__init__()
        self.why = why

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="manager-pin-dialog"):
            yield Label("A manager's PIN is needed", classes="dialog-title")
            yield Label(self.why, classes="muted", markup=False)
            yield Input(placeholder="Manager PIN", password=True, restrict=r"[0-9]*", max_length=12, id="manager-pin")
            yield Label("", id="manager-pin-error", classes="problem", markup=False)
            yield Label("Enter  go on    Esc  cancel", classes="hint")

    @on(Input.Submitted, "#manager-pin")
    def submit(self, event: Input.Submitted) -> None:
        if not 4 <= len(event.value) <= 12:
            self.query_one("#manager-pin-error", Label).update("A manager types their PIN (4 to 12 digits).")
            return
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
