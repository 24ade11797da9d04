"""Add or take a customer's points by hand: how many, why, and a manager's id and PIN.

The PIN is checked by the loyalty service, never here; the id says whose PIN it is, so wrong PINs
count towards that manager's lockout (5) rather than only the till's. The form stays open on a
wrong PIN or a refusal, with the reason, and closes with the customer's new summary once the
service agrees.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from cashier_tui.error_messages import cashier_message
from pos_core.loyalty_errors import LoyaltyError, RequestRefused, RewardNotAvailable
from pos_core.loyalty_models import AccountSummary
from pos_core.shown_text import printable
from till_tui.workers import till_work

MAX_POINTS = 100_000

# (points, reason, manager id, manager PIN) -> the summary after the adjustment
Submit = Callable[[int, str, str, str], Awaitable[AccountSummary]]


class AdjustPointsScreen(ModalScreen[AccountSummary | None]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="adjust.cancel", tooltip="Close without changing any points"),
    ]

    def __init__(self, customer: AccountSummary, submit: Submit) -> None:
        super().__init__()
        self.customer = customer
        self.submit_adjustment = submit

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="adjust-dialog"):
            yield Label(
                f"Adjust points: {printable(self.customer.display_name)}, {self.customer.balance:,} pts",
                classes="dialog-title",
                markup=False,
            )
            yield Input(placeholder="Points: 250 adds, -250 takes", restrict=r"[-+]?[0-9]*", max_length=7,
                        id="adjust-points")
            yield Input(placeholder="Reason (kept with the change)", max_length=200, id="adjust-reason")
            yield Input(placeholder="Manager id (mgr_…)", restrict=r"[a-z0-9_]*", max_length=64, id="adjust-manager")
            yield Input(placeholder="Manager PIN", password=True, restrict=r"[0-9]*", max_length=12,
                        id="adjust-pin")
            yield Label("", id="adjust-error", classes="problem", markup=False)
            yield Label("Enter  next / adjust    Esc  cancel", classes="hint")

    @on(Input.Changed)
    def clear_error(self) -> None:
        self.query_one("#adjust-error", Label).update("")

    @on(Input.Submitted, "#adjust-points")
    def points_entered(self) -> None:
        self.query_one("#adjust-reason", Input).focus()

    @on(Input.Submitted, "#adjust-reason")
    def reason_entered(self) -> None:
        self.query_one("#adjust-manager", Input).focus()

    @on(Input.Submitted, "#adjust-manager")
    def manager_entered(self) -> None:
        self.query_one("#adjust-pin", Input).focus()

    @on(Input.Submitted, "#adjust-pin")
    def pin_entered(self) -> None:
        problem, points = self._points()
        reason = " ".join(self.query_one("#adjust-reason", Input).value.split())
        manager = self.query_one("#adjust-manager", Input).value.strip()
        pin = self.query_one("#adjust-pin", Input).value
        focus = None
        if problem:
            focus = "#adjust-points"
        elif not reason:
            problem, focus = "Type the reason for the change.", "#adjust-reason"
        elif not manager:
            problem, focus = "A manager types their id (mgr_…), then their PIN.", "#adjust-manager"
        elif not 4 <= len(pin) <= 12:
            problem, focus = "A manager types their PIN (4 to 12 digits).", "#adjust-pin"
        if problem:
            self._problem(problem, focus)
            return
        self.send(points, reason, manager, pin)

    def _points(self) -> tuple[str, int]:
        text = self.query_one("#adjust-points", Input).value.strip()
        try:
            points = int(text)
        except ValueError:
            return "Type how many points: 250 adds, -250 takes.", 0
        if points == 0 or abs(points) > MAX_POINTS:
            return f"Points must be from 1 to {MAX_POINTS:,}, with - to take them.", 0
        if points < 0 and self.customer.balance + points < 0:
            return f"The balance is {self.customer.balance:,} pts; it cannot go below zero.", 0
        return "", points

    def _problem(self, text: str, focus: str | None = None) -> None:
        self.query_one("#adjust-error", Label).update(text)
        if focus:
            self.query_one(focus, Input).focus()

    @till_work(exclusive=True, group="adjust")
    async def send(self, points: int, reason: str, manager: str, pin: str) -> None:
        self.query_one("#adjust-error", Label).update("Asking the loyalty service…")
        try:
            summary = await self.submit_adjustment(points, reason, manager, pin)
        except RequestRefused as error:
            self._forget_pin()
            if error.code == "wrong_manager_pin":
                self._problem("That id and PIN are not a manager's. A manager types their own.", "#adjust-pin")
            elif error.code == "manager_locked":
                self._problem("This manager is locked out after 5 wrong PINs; head office can free them.",
                              "#adjust-manager")
            else:
                self._problem(cashier_message(error), "#adjust-pin")
            return
        except RewardNotAvailable:  # insufficient_points: the balance changed meanwhile
            self._problem("The balance is lower than that now; it cannot go below zero.", "#adjust-points")
            return
        except LoyaltyError as error:
            self._forget_pin()
            self._problem(cashier_message(error))
            return
        self.dismiss(summary)

    def _forget_pin(self) -> None:
        with self.prevent(Input.Changed):  # keep the reason on screen
            self.query_one("#adjust-pin", Input).value = ""

    def action_cancel(self) -> None:
        self.dismiss(None)
