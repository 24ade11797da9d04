"""A manager's id and PIN, asked when the loyalty service needs one for what the cashier is doing
(a late or large return). The PIN is checked by the service, never here; this only collects it.
The id says whose PIN it is, so wrong PINs count towards that manager's lockout (5), as at the
points adjustment (adjust_points.py)."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from cashier_tui.widgets.id_and_pin import id_and_pin


@dataclass(frozen=True, slots=True)
class ManagerApproval:
    manager_id: str
    pin: str


class ManagerPinScreen(ModalScreen[ManagerApproval | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="manager_pin.cancel", tooltip="Go back without a manager")]

    def __init__(self, why: str) -> None:
        super().__init__()
        self.why = why

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="manager-pin-dialog"):
            yield Label("A manager's PIN is needed", classes="dialog-title")
            yield Label(self.why, classes="muted", markup=False)
            yield from id_and_pin("manager", who="Manager", id_hint=" (mgr_…)", id_restrict=r"[a-z0-9_]*", id_max=64,
                                  hint="Enter  next / go on    Esc  cancel")

    @on(Input.Submitted, "#manager-id")
    def id_entered(self) -> None:
        self.query_one("#manager-pin", Input).focus()

    @on(Input.Submitted, "#manager-pin")
    def submit(self, event: Input.Submitted) -> None:
        manager = self.query_one("#manager-id", Input).value.strip()
        error = self.query_one("#manager-pin-error", Label)
        if not manager:
            error.update("A manager types their id (mgr_…), then their PIN.")
            self.query_one("#manager-id", Input).focus()
            return
        if not 4 <= len(event.value) <= 12:
            error.update("A manager types their PIN (4 to 12 digits).")
            return
        self.dismiss(ManagerApproval(manager, event.value))

    def action_cancel(self) -> None:
        self.dismiss(None)
