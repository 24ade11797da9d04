"""The customer's loyalty picture: name, tier, balance, progress to the next reward, rewards."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.content import Content
from textual.containers import VerticalScroll
from textual.reactive import reactive
from textual.widgets import Label, ProgressBar

from pos_core.loyalty_models import Quote
from pos_core.money import format_money
from pos_core.sale import Sale
from pos_core.shown_text import printable


class LoyaltyPanel(VerticalScroll, can_focus=False):
    sale: reactive[Sale | None] = reactive(None, recompose=True)
    quote: reactive[Quote | None] = reactive(None, recompose=True)
    looking_up: reactive[bool] = reactive(False, recompose=True)

    def compose(self) -> ComposeResult:
        customer = self.sale.customer if self.sale else None
        if self.looking_up:
            yield Label("Looking up the customer…", classes="muted")
            return
        if customer is None:
            yield Label("No customer on this sale.", classes="muted")
            yield Label("F2  find them by phone number, or enrol them.", classes="hint")
            return
        tier = customer.tier
        # Names, tiers and rewards are the service's data: shown as text, never read as markup.
        yield Label(Content(printable(customer.display_name)), id="customer-name")
        if tier.next_tier and tier.points_to_next_tier is not None:
            yield Label(Content.assemble(printable(tier.name), f" · {tier.points_to_next_tier:,} pts to ",
                                         printable(tier.next_tier)), id="customer-tier")
        else:
            yield Label(Content.assemble(printable(tier.name), " · top tier"), id="customer-tier")
        if customer.provisional:
            balance = customer.balance + customer.pending_points
            yield Label(f"Balance ≈ {balance:,} pts", id="customer-balance", classes="provisional")
            yield Label("Offline: from this till's records, not yet confirmed.", classes="muted")
        elif customer.pending_points:
            yield Label(
                f"Balance  {customer.balance:,} pts (+{customer.pending_points:,} pending)", id="customer-balance"
            )
        else:
            yield Label(f"Balance  {customer.balance:,} pts", id="customer-balance")
        if customer.next_reward:
            reward = customer.next_reward
            yield Label(Content.assemble(f"{reward.points_needed:,} pts to ", printable(reward.name)), classes="next-reward")
            bar = ProgressBar(total=reward.cost, show_eta=False, show_percentage=False, id="next-reward-bar")
            bar.progress = max(0, reward.cost - reward.points_needed)
            yield bar
        applied = set(self.sale.rewards) if self.sale else set()
        if customer.rewards_available:
            yield Label("Rewards to use today  (F3)", classes="section")
            for reward in customer.rewards_available:
                mark = "✔" if reward.reward_id in applied else "·"
                yield Label(
                    Content.assemble(f"{mark} ", printable(reward.name), f"  {reward.cost:,}"),
                    classes="reward applied" if reward.reward_id in applied else "reward",
                )
        else:
            yield Label("No rewards to use yet.", classes="muted")
        if self.quote is not None:
            about = "about " if self.quote.estimated else ""
            yield Label(f"This sale: {about}+{self.quote.points_earned:,} pts", classes="section", id="points-this-sale")
            if self.quote.discount_total:
                yield Label(f"Saving {format_money(self.quote.discount_total, self.quote.currency)}", classes="saving")
