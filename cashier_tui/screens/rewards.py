"""Choose which of the customer's rewards to use on this sale."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Label, SelectionList

from pos_core.loyalty_models import AccountSummary
from pos_core.shown_text import printable


class RewardsScreen(ModalScreen[tuple[str, ...] | None]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="rewards.cancel", tooltip="Keep the rewards as they were"),
        Binding("f3", "apply", "Apply", id="rewards.apply", tooltip="Use the ticked rewards on this sale"),
    ]

    def __init__(self, customer: AccountSummary, applied: tuple[str, ...]) -> None:
        super().__init__()
        self.customer = customer
        self.applied = applied

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="rewards-dialog"):
            yield Label(f"Rewards for {printable(self.customer.display_name)} · {self.customer.balance:,} pts",
                        classes="dialog-title", markup=False)
            yield SelectionList[str](
                *[
                    # A Content prompt: the reward's name and description are the service's words, not markup.
                    (Content(printable(f"{r.name} · {r.cost:,} pts · {r.description}")), r.reward_id,
                     r.reward_id in self.applied)
                    for r in self.customer.rewards_available
                ],
                id="rewards-list",
            )
            yield Label("", id="rewards-error", classes="problem")
            yield Label("Space  tick or untick    F3  apply    Esc  cancel", classes="hint")
            with Horizontal(classes="buttons"):
                yield Button("Apply", variant="primary", id="rewards-ok")
                yield Button("Cancel", id="rewards-cancel")

    @on(Button.Pressed, "#rewards-ok")
    def action_apply(self) -> None:
        chosen = tuple(self.query_one("#rewards-list", SelectionList).selected)
        cost = sum(r.cost for r in self.customer.rewards_available if r.reward_id in chosen)
        if cost > self.customer.balance:
            self.query_one("#rewards-error", Label).update(
                f"Those cost {cost:,} pts; the balance is {self.customer.balance:,}. Untick one."
            )
            return
        # Keep the order rewards were applied in: the contract applies them in order.
        ordered = tuple(r for r in self.applied if r in chosen) + tuple(r for r in chosen if r not in self.applied)
        self.dismiss(ordered)

    @on(Button.Pressed, "#rewards-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
