"""How a customer is named and told their progress where they (and others near them) can read it:
the customer display, the kiosk and the paper receipt. Pure: no I/O.

A customer-facing surface shows the first name and the initial of the last ("Alice S."), never the
whole name, and says what is next as one sentence for this customer ("Only 2 points to £5 off your
shop"). The register's own panel shows the full name: that is the cashier's screen.
"""

from __future__ import annotations

from pos_core.loyalty_models import AccountSummary
from pos_core.shown_text import printable


def short_name(display_name: str) -> str:
    """"Alice Smith" → "Alice S."; one word stays as it is; nothing given → "" (never raises)."""
    words = printable(display_name).split()
    if not words:
        return ""
    if len(words) == 1:
        return words[0]
    return f"{words[0]} {words[-1][0]}."


def progress_sentence(customer: AccountSummary) -> str:
    """What is next for this customer, as one sentence: the next reward, else the next tier."""
    reward = customer.next_reward
    if reward is not None:
        if reward.points_needed <= 0:
            return f"You can use {printable(reward.name)} today."
        unit = "point" if reward.points_needed == 1 else "points"
        return f"Only {reward.points_needed:,} {unit} to {printable(reward.name)}."
    tier = customer.tier
    if tier.next_tier and tier.points_to_next_tier:
        unit = "point" if tier.points_to_next_tier == 1 else "points"
        return f"Only {tier.points_to_next_tier:,} {unit} to {printable(tier.next_tier)}."
    if customer.rewards_available:
        return "You can use any of our rewards."
    return ""
