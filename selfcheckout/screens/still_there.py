"""After a while without a touch: is the shopper still there? If not, the kiosk resets."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label


class StillThereScreen(ModalScreen[bool]):
    """True when the shopper touches; False when the time runs out."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="still-there-dialog"):
            yield Label("Still there?", classes="title")
            yield Label("Touch the button to carry on. Otherwise we'll start again for the next shopper.", classes="center")
            yield Button("Yes, I'm here", variant="success", id="still-here")

    def on_mount(self) -> None:
        self.set_timer(self.seconds, self.gone)

    def gone(self) -> None:
        if self.is_current:
            self.dismiss(False)

    @on(Button.Pressed, "#still-here")
    def here(self) -> None:
        self.dismiss(True)
