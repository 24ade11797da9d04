"""Enrol a new member at the till: phone, an e-mail address for receipts if they give one (checked
here before it is sent; "E-mail me my receipts" needs it), name, a friend's referral code if they
have one (typed, or scanned into the field), and the customer's consent, given out loud (the
cashier ticks the boxes) or with a tap on the customer display facing the till (the form asks the
customer feed while it is open, and ticks and locks the boxes when the customer answers)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label

from cashier_tui.widgets.phone_input import PhoneInput
from pos_core.customer_feed import CustomerFeed
from pos_core.customer_view import ConsentQuestion
from pos_core.email_address import MAX_LENGTH, InvalidEmail, checked_email
from pos_core.phone_number import InvalidPhoneNumber, PhoneNumber, parse_phone
from pos_core.shown_text import printable


@dataclass(frozen=True, slots=True)
class Enrolment:
    phone: PhoneNumber
    name: str
    marketing: bool
    given_at: Literal["till", "customer_display"] = "till"
    referral_code: str = ""  # a friend's, as typed or scanned ("": none); the service checks it
    email: str = ""  # checked and normalised (pos_core.email_address); "": none
    email_receipts: bool = False  # every receipt by e-mail


class EnrolScreen(ModalScreen[Enrolment | None]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="enrol.cancel", tooltip="Close without enrolling"),
    ]

    @dataclass
    class ConsentAnswered(Message):
        """The customer answered the consent question on the customer display."""

        question: ConsentQuestion

    def __init__(
        self, phone: str, region: str, terms_version: str, privacy_notice: str, feed: CustomerFeed | None = None
    ) -> None:
        super().__init__()
        self.phone = phone
        self.phone_region = region
        self.terms_version = terms_version
        self.privacy_notice = privacy_notice
        # The customer's side of the consent: the question this form put on the customer display.
        self.feed = feed
        self.question: ConsentQuestion | None = None
        self._stop_hearing = lambda: None
        self.given_at: Literal["till", "customer_display"] = "till"

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="enrol-dialog"):
            if self.phone:
                yield Label(f"No member has {printable(self.phone)}. Enrol them?", classes="dialog-title", markup=False)
            else:
                yield Label("Enrol a new member", classes="dialog-title")
            # Side by side, as the name and code: the whole privacy notice still fits 80×24.
            with Horizontal(id="enrol-phone-row"):
                yield PhoneInput(self.phone_region, value=self.phone, id="enrol-phone")
                yield Input(placeholder="E-mail for receipts (optional)", max_length=MAX_LENGTH, id="enrol-email",
                            tooltip="Optional: where their receipts are e-mailed; shown masked afterwards")
            # Side by side: the form still fits the smallest register (80×24) with a problem shown.
            with Horizontal(id="enrol-name-row"):
                yield Input(placeholder="Customer's name", max_length=60, id="enrol-name")
                yield Input(placeholder="Referral code", max_length=20, id="enrol-referral",
                            tooltip="Optional: a member's code from their receipt, typed or scanned")
            # The terms version and the privacy notice are the service's words: text, not markup.
            yield Checkbox(Content(f"Agrees to the loyalty terms ({printable(self.terms_version)})"), id="enrol-terms",
                           compact=True)
            with Horizontal(id="enrol-choices"):
                yield Checkbox("Wants offers by text (optional)", id="enrol-marketing", compact=True)
                yield Checkbox("E-mail me my receipts", id="enrol-email-receipts", compact=True)
            if self.privacy_notice:
                yield Label(printable(self.privacy_notice), classes="notice", markup=False)
            yield Label("", id="enrol-display-consent", classes="notice", markup=False)
            yield Label("", id="enrol-error", classes="problem", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Enrol", variant="primary", id="enrol-ok")
                yield Button("Cancel", id="enrol-cancel")

    def on_mount(self) -> None:
        self.query_one("#enrol-name", Input).focus()
        self.display_consent.display = False
        if self.feed is not None and self.terms_version:
            self.question = self.feed.ask_consent(terms_version=self.terms_version, privacy_notice=self.privacy_notice)
            self._stop_hearing = self.feed.on_consent(self._heard)
            if self.feed.readers:
                self.tell_display_consent("The terms are on the customer display: they can agree there, or tell you.")

    def on_unmount(self) -> None:
        self._stop_hearing()
        if self.feed is not None and self.question is not None:
            self.feed.end_consent(self.question.request_id)

    @property
    def display_consent(self) -> Label:
        return self.query_one("#enrol-display-consent", Label)

    def tell_display_consent(self, words: str) -> None:
        # Shown only once there is something to say: the form is as before with no display.
        self.display_consent.update(words)
        self.display_consent.display = bool(words)

    def _heard(self, question: ConsentQuestion) -> None:
        # Called by the feed from the display's web request, on the app's loop: hand it on as a message.
        if self.question is not None and question.request_id == self.question.request_id:
            self.post_message(self.ConsentAnswered(question))

    @on(ConsentAnswered)
    def consent_answered(self, message: ConsentAnswered) -> None:
        answer = message.question.answer or {}
        if not answer.get("accepted"):
            self.tell_display_consent("Declined on the customer display.")
            return
        marketing = bool(answer.get("marketing"))
        self.given_at = "customer_display"
        boxes = [("#enrol-terms", True), ("#enrol-marketing", marketing)]
        receipts = ""
        if "email_receipts" in answer:  # asked on the display: the cashier types the address they give
            boxes.append(("#enrol-email-receipts", bool(answer["email_receipts"])))
            receipts = "; receipts by e-mail: type their address" if answer["email_receipts"] else ""
        self.tell_display_consent(f"Agreed on the customer display (offers: {'yes' if marketing else 'no'}{receipts})")
        for box, value in boxes:
            checkbox = self.query_one(box, Checkbox)
            checkbox.value = value
            checkbox.disabled = True
        self.query_one("#enrol-error", Label).update("")

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
        referral = " ".join(self.query_one("#enrol-referral", Input).value.split())
        email_field = self.query_one("#enrol-email", Input)
        email_receipts = self.query_one("#enrol-email-receipts", Checkbox).value
        try:
            email = checked_email(email_field.value) if email_field.value.strip() or email_receipts else ""
        except InvalidEmail as problem:
            error.update(str(problem))  # one line: the form still fits 80×24 with it
            email_field.focus()
            return
        self.dismiss(Enrolment(phone, name, self.query_one("#enrol-marketing", Checkbox).value, self.given_at, referral,
                               email, email_receipts))

    def take_referral_code(self, code: str) -> None:
        """A friend's code scanned while the form is open (REF-…): into its field."""
        self.query_one("#enrol-referral", Input).value = code

    @on(Button.Pressed, "#enrol-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
