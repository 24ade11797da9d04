"""The shopper's rewards at a glance: first name, tier, balance, progress to the next reward."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.reactive import reactive
from textual.widgets import Label, ProgressBar

from pos_core.customer_words import first_name, progress_sentence
from pos_core.loyalty_models import AccountSummary
from pos_core.shown_text import printable


class CustomerStrip(Vertical):
    customer: reactive[AccountSummary | None] = reactive(None, recompose=True)

    def compose(self) -> ComposeResult:
        customer = self.customer
        if customer is None:
            yield Label("Not signed in to rewards — tap Add rewards to collect points.", classes="muted")
            return
        # The name, tier and reward are the service's data: text, never markup.
        greeting = first_name(customer.display_name)
        balance = customer.balance + customer.pending_points
        about = "about " if customer.provisional else ""
        yield Label(f"Hi {greeting}! {printable(customer.tier.name)} member · {about}{balance:,} points", classes="big",
                    id="hello", markup=False)
        if customer.next_reward:
            reward = customer.next_reward
            yield Label(progress_sentence(customer), id="next-reward", markup=False)
            bar = ProgressBar(total=reward.cost, show_eta=False, show_percentage=False, id="reward-progress")
            bar.progress = max(0, reward.cost - reward.points_needed)
            yield bar
