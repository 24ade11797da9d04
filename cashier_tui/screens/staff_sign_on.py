"""The register locked until a cashier signs on: at the start of a shift, and after Ctrl+L. It
covers the whole screen (the sale in progress stays underneath, untouched) and cannot be closed
but by a sign-on. The staff id and PIN go to the service from a worker (pos_core.staff_sign_on);
offline, the till's kept hash checks them, and the screen says so plainly."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from cashier_tui.widgets.id_and_pin import id_and_pin
from pos_core.shown_text import printable
from pos_core.staff_sign_on import SignedOn, SignOnRefused, StaffSignOn
from till_tui.workers import till_work


class StaffSignOnScreen(ModalScreen[SignedOn]):
    # No Escape: the register stays locked until someone signs on.
    BINDINGS = []

    def __init__(self, sign_on: StaffSignOn, where: str, *, locked_by: str | None = None) -> None:
        super().__init__()
        self.sign_on = sign_on
        self.where = where
        self.locked_by = locked_by

    @property
    def staff_id_input(self) -> Input:
        return self.query_one("#sign-on-id", Input)

    @property
    def pin_input(self) -> Input:
        return self.query_one("#sign-on-pin", Input)

    @property
    def problem(self) -> Label:
        return self.query_one("#sign-on-pin-error", Label)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="sign-on-dialog"):
            yield Label("Register locked: sign on", classes="dialog-title")
            yield Label(Content(printable(self.where)), classes="muted")
            if self.locked_by:
                yield Label(Content(f"Locked by {printable(self.locked_by)}; the sale in progress is kept."),
                            classes="muted")
            yield from id_and_pin("sign-on", who="Staff", id_restrict=r"[A-Za-z0-9._-]*", id_max=32,
                                  hint="Enter  next / sign on")

    @on(Input.Submitted, "#sign-on-id")
    def id_entered(self) -> None:
        self.pin_input.focus()

    @on(Input.Submitted, "#sign-on-pin")
    def pin_entered(self) -> None:
        staff_id = self.staff_id_input.value.strip()
        if not staff_id:
            self.problem.update("Type your staff id first, then your PIN.")
            self.staff_id_input.focus()
            return
        self.problem.update("Checking…")
        self.check(staff_id, self.pin_input.value)

    @till_work(exclusive=True, group="sign-on")
    async def check(self, staff_id: str, pin: str) -> None:
        try:
            signed = await self.sign_on.sign_on(staff_id, pin)
        except SignOnRefused as refused:
            self.pin_input.value = ""
            self.problem.update(str(refused))
            self.pin_input.focus()
            return
        except Exception:  # nothing here may close the register: say so, stay locked
            self.pin_input.value = ""
            self.problem.update("The till could not check the sign-on; try again.")
            return
        self.dismiss(signed)
