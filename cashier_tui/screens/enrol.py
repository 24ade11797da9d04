"""Enrol a new member at the till: phone, name, and the consent the customer gives out loud."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label

from cashier_tui.widgets.phone_input import PhoneInput
from pos_core.phone_number import InvalidPhoneNumber, PhoneNumber, parse_phone
from pos_core.shown_text import printable


@dataclass(frozen=True, slots=True)
class Enrolment:
    phone: PhoneNumber
    name: str
    marketing: bool


class EnrolScreen(ModalScreen[Enrolment | None]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="enrol.cancel", tooltip="Close without enrolling"),
    ]

    def __init__(self, phone: str, region: str, terms_version: str, privacy_notice: str) -> None:
        super().__init__()
        self.phone = phone
        self.phone_region = region
        self.terms_version = terms_version
        self.privacy_notice = privacy_notice

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="enrol-dialog"):
            if self.phone:
                yield Label(f"No member has {printable(self.phone)}. Enrol them?", classes="dialog-title", markup=False)
            else:
                yield Label("Enrol a new member", classes="dialog-title")
            yield PhoneInput(self.phone_region, value=self.phone, id="enrol-phone")
            yield Input(placeholder="Customer's name", max_length=60, id="enrol-name")
            # The terms version and the privacy notice are the service's words: text, not markup.
            yield Checkbox(Content(f"Agrees to the loyalty terms ({printable(self.terms_version)})"), id="enrol-terms",
                           compact=True)
            yield Checkbox("Wants offers by text (optional)", id="enrol-marketing", compact=True)
            if self.privacy_notice:
                yield Label(printable(self.privacy_notice), classes="notice", markup=False)
            yield Label("", id="enrol-error", classes="problem", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Enrol", variant="primary", id="enrol-ok")
                yield Button("Cancel", id="enrol-cancel")

    def on_mount(self) -> None:
        self.query_one("#enrol-name", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#enrol-ok")
    def submit(self) -> None:
        error = self.query_one("#enrol-error", Label)
        try:
            phone = parse_phone(self.query_one("#enrol-phone", Input).value, self.phone_region)
        except InvalidPhoneNumber as problem:
            error.update(str(problem))
            return
        name = " ".join(self.query_one("#enrol-name", Input).value.split())
        if not name:
            error.update("Enter the customer's name.")
            self.query_one("#enrol-name", Input).focus()
            return
        if not self.query_one("#enrol-terms", Checkbox).value:
            error.update("The customer must agree to the terms to join. Ask them, then tick the box.")
            return
        self.dismiss(Enrolment(phone, name, self.query_one("#enrol-marketing", Checkbox).value))

    @on(Button.Pressed, "#enrol-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
