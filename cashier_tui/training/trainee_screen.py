"""Who is training: asked once when training starts; the name goes on every result."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label


class TraineeScreen(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", "Leave", id="trainee.cancel", tooltip="Leave training")]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="trainee-dialog"):
            yield Label("Training mode", classes="dialog-title")
            yield Label("A practice store with made-up customers: nothing here reaches real accounts.", classes="muted")
            yield Input(placeholder="Trainee's name", max_length=40, id="trainee-name")
            yield Label("", id="trainee-error", classes="problem")
            yield Label("Enter  start    Esc  leave training", classes="hint")

    @on(Input.Submitted, "#trainee-name")
    def submit(self, event: Input.Submitted) -> None:
        name = " ".join(event.value.split())
        if not name:
            self.query_one("#trainee-error", Label).update("Type the trainee's name: it goes on their results.")
            return
        self.dismiss(name)

    def action_cancel(self) -> None:
        self.dismiss(None)
