"""Join the rewards programme at the kiosk: one screen, with the consent the shopper gives, a
friend's referral code if they have one, and an e-mail address for receipts if they want them
(checked here before it is sent; "E-mail me my receipts" needs it)."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label

from pos_core.email_address import MAX_LENGTH, InvalidEmail, checked_email
from pos_core.shown_text import printable


@dataclass(frozen=True, slots=True)
class Joined:
    name: str
    marketing: bool
    referral_code: str = ""  # a friend's ("": none)
    email: str = ""  # checked and normalised ("": none)
    email_receipts: bool = False


class JoinScreen(ModalScreen[Joined | None]):
    """Dismisses with what the shopper gave when they join, None for "no thanks"."""

    def __init__(self, phone_shown: str, terms_version: str, privacy_notice: str) -> None:
        super().__init__()
        self.phone_shown = phone_shown
        self.terms_version = terms_version
        self.privacy_notice = privacy_notice

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="join-dialog"):
            yield Label(f"No rewards account for {printable(self.phone_shown)} yet. Join now? It's free.", classes="title",
                        markup=False)
            yield Input(placeholder="Your first and last name", max_length=60, id="join-name")
            with Horizontal(id="join-optional"):
                yield Input(placeholder="A friend's referral code (optional)", max_length=20, id="join-referral")
                yield Input(placeholder="E-mail for receipts (optional)", max_length=MAX_LENGTH, id="join-email")
            # The terms version and the privacy notice are the service's words: text, not markup.
            yield Checkbox(Content(f"I agree to the rewards terms ({printable(self.terms_version)})"), id="join-terms",
                           compact=True)
            with Horizontal(id="join-choices"):
                yield Checkbox("Send me offers by text (optional)", id="join-marketing", compact=True)
                yield Checkbox("E-mail me my receipts", id="join-email-receipts", compact=True)
            if self.privacy_notice:
                yield Label(printable(self.privacy_notice), classes="muted", markup=False)
            yield Label("", id="join-problem", classes="problem")
            with Horizontal(classes="row"):
                yield Button("Join", variant="success", id="join-ok")
                yield Button("No thanks", id="join-no")

    @on(Input.Submitted, "#join-name")
    @on(Input.Submitted, "#join-referral")
    @on(Input.Submitted, "#join-email")
    @on(Button.Pressed, "#join-ok")
    def join(self) -> None:
        name = " ".join(self.query_one("#join-name", Input).value.split())
        problem = self.query_one("#join-problem", Label)
        if not name:
            problem.update("Please type your name.")
            return
        if not self.query_one("#join-terms", Checkbox).value:
            problem.update("Please tick to agree to the terms, or choose No thanks.")
            return
        referral = " ".join(self.query_one("#join-referral", Input).value.split())
        email_field = self.query_one("#join-email", Input)
        email_receipts = self.query_one("#join-email-receipts", Checkbox).value
        try:
            email = checked_email(email_field.value) if email_field.value.strip() or email_receipts else ""
        except InvalidEmail:
            problem.update("Please check your e-mail address (like name@example.com), or leave it empty"
                           " and untick \"E-mail me my receipts\".")
            email_field.focus()
            return
        self.dismiss(Joined(name, self.query_one("#join-marketing", Checkbox).value, referral, email, email_receipts))

    def take_referral_code(self, code: str) -> None:
        """A friend's code scanned while the screen is open (REF-…): into its field."""
        self.query_one("#join-referral", Input).value = code

    @on(Button.Pressed, "#join-no")
    def no_thanks(self) -> None:
        self.dismiss(None)
