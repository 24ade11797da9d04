"""Change how many of the highlighted item are in the basket."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from pos_core.basket import MAX_QUANTITY
from pos_core.shown_text import printable


class QuantityScreen(ModalScreen[int | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="quantity.cancel", tooltip="Keep the quantity")]

    def __init__(self, item_name: str, quantity: int) -> None:
        super().__init__()
        self.item_name = item_name
        self.quantity = quantity

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="quantity-dialog"):
            yield Label(f"How many {printable(self.item_name)}?", classes="dialog-title", markup=False)
            yield Input(value=str(self.quantity), restrict=r"[0-9]*", max_length=3, id="quantity-input")
            yield Label("", id="quantity-error", classes="problem")
            yield Label("Enter  set (0 removes the line)    Esc  cancel", classes="hint")

    @on(Input.Submitted, "#quantity-input")
    def submit(self, event: Input.Submitted) -> None:
        if not event.value.isdigit() or int(event.value) > MAX_QUANTITY:
            self.query_one("#quantity-error", Label).update(f"Type a number from 0 to {MAX_QUANTITY}.")
            return
        self.dismiss(int(event.value))

    def action_cancel(self) -> None:
        self.dismiss(None)
