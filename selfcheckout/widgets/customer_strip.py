"""The shopper's rewards at a glance: first name, tier, balance, progress to the next reward."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.reactive import reactive
from textual.widgets import Label, ProgressBar

from pos_core.loyalty_models import AccountSummary


class CustomerStrip(Vertical):
    customer: reactive[AccountSummary | None] = reactive(None, recompose=True)

    def compose(self) -> ComposeResult:
        customer = self.customer
        if customer is None:
            yield Label("Not signed in to rewards — tap Add rewards to collect points.", classes="muted")
            return
        first_name = customer.display_name.split()[0]
        balance = customer.balance + customer.pending_points
        about = "about " if customer.provisional else ""
        yield Label(f"Hi {first_name}! {customer.tier.name} member · {about}{balance:,} points", classes="big", id="hello")
        if customer.next_reward:
            reward = customer.next_reward
            yield Label(f"Only {reward.points_needed:,} points to {reward.name}", id="next-reward")
            bar = ProgressBar(total=reward.cost, show_eta=False, show_percentage=False, id="reward-progress")
            bar.progress = max(0, reward.cost - reward.points_needed)
            yield bar
