"""The first thing a shopper sees: sign in to rewards, or just start scanning; and, for staff
walking by, what on this kiosk needs them (sales kept here, the sales file, the receipt printer)."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Input, Label

from pos_core.printer_words import cannot_print, printer_words

if TYPE_CHECKING:
    from selfcheckout.app import SelfCheckoutApp


class WelcomeScreen(Screen[None]):
    def compose(self) -> ComposeResult:
        with Vertical(id="welcome"):
            with Vertical(id="welcome-body"):
                yield Label("Welcome!", classes="title")
                yield Label(
                    "Scan your loyalty QR, tap your card, or enter your phone number.", classes="center big"
                )
                with Horizontal(classes="row"):
                    yield Button("Enter phone number", variant="primary", id="welcome-phone")
                    yield Button("Continue without", id="welcome-skip")
                yield Label("Or scan your first item to start.", classes="center muted")
                yield Input(placeholder="Scan here", max_length=64, id="welcome-scan")
                yield Label("", id="welcome-problem", classes="problem center", markup=False)
                yield Label("Receipts can't be printed just now. You can still shop, and staff can print yours.",
                            id="welcome-no-receipts", classes="center muted")
                with Horizontal(classes="row"):
                    yield Button("Call assistance", variant="warning", id="assist")
                yield Label("", id="staff-attention", classes="center muted")

    @property
    def kiosk(self) -> SelfCheckoutApp:
        return cast("SelfCheckoutApp", self.app)

    def on_mount(self) -> None:
        for name in ("set_aside_count", "stuck_sales", "storage_problem", "printer_status"):
            self.watch(self.app, name, self._show_staff_attention)

    def _show_staff_attention(self) -> None:
        # For staff walking by, as the register's cashier is told: sales kept here need a supervisor.
        kiosk = self.kiosk
        problems = []
        if kiosk.set_aside_count:
            problems.append(f"{kiosk.set_aside_count} sale(s) refused by the loyalty service are kept here")
        if kiosk.stuck_sales:
            problems.append(f"{kiosk.stuck_sales} sale(s) the loyalty service keeps failing are being retried")
        if kiosk.storage_problem:
            problems.append("this kiosk cannot write its sales file")
        lines = ["Staff: " + "; ".join(problems) + ". Tell your supervisor."] if problems else []
        if printer := printer_words(kiosk.printer_status, reprint="Call assistance reprints"):
            lines.append(f"Staff: {printer}.")
        label = self.query_one("#staff-attention", Label)
        label.update("  ".join(lines))
        label.display = bool(lines)
        self.query_one("#welcome-no-receipts", Label).display = cannot_print(kiosk.printer_status)

    def on_screen_resume(self) -> None:
        self.query_one("#welcome-problem", Label).update("")
        self.query_one("#welcome-scan", Input).focus()

    @on(Button.Pressed, "#welcome-phone")
    def phone(self) -> None:
        self.kiosk.start_shopping()
        self.kiosk.sign_in()

    @on(Button.Pressed, "#welcome-skip")
    def skip(self) -> None:
        self.kiosk.start_shopping()

    @on(Input.Submitted, "#welcome-scan")
    def scanned(self, event: Input.Submitted) -> None:
        event.input.value = ""
        problem = self.kiosk.scan(event.value)
        if problem:
            self.query_one("#welcome-problem", Label).update(problem)
        else:
            self.kiosk.start_shopping()

    @on(Button.Pressed, "#assist")
    def assist(self) -> None:
        self.kiosk.call_assistance("A shopper needs help at the welcome screen.")
