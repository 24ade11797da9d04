"""How a customer is named and told their progress where they (and others near them) can read it:
the customer display, the kiosk and the paper receipt. Pure: no I/O.

A customer-facing surface shows the first name and the initial of the last ("Alice S."), never the
whole name, and says what is next as one sentence for this customer ("Only 2 points to £5 off your
shop"). The register's own panel shows the full name: that is the cashier's screen.
"""

from __future__ import annotations

from pos_core.loyalty_models import AccountSummary, NextReward, Tier
from pos_core.shown_text import printable


def short_name(display_name: str) -> str:
    """"Alice Smith" → "Alice S."; one word stays as it is; nothing given → "" (never raises)."""
    words = printable(display_name).split()
    if not words:
        return ""
    if len(words) == 1:
        return words[0]
    return f"{words[0]} {words[-1][0]}."


def first_name(display_name: str) -> str:
    """"Alice Smith" → "Alice", for a greeting; "" when there is no name."""
    return next(iter(printable(display_name).split()), "")


def progress_sentence(customer: AccountSummary) -> str:
    """What is next for this customer, as one sentence: the next reward, else the next tier."""
    sentence = next_step(customer.next_reward, customer.tier)
    if not sentence and customer.rewards_available:
        return "You can use any of our rewards."
    return sentence


def next_step(reward: NextReward | None, tier: Tier | None) -> str:
    """"Only 2 points to £5 off your shop." (or to the next tier); "" when there is no next step.
    A sale's result carries these too, so the thank-you and the receipt say it after payment."""
    if reward is not None:
        if reward.points_needed <= 0:
            return f"You can use {printable(reward.name)} today."
        return f"Only {_points(reward.points_needed)} to {printable(reward.name)}."
    if tier is not None and tier.next_tier and tier.points_to_next_tier:
        return f"Only {_points(tier.points_to_next_tier)} to {printable(tier.next_tier)}."
    return ""


def held_for_review(points: int) -> str:
    """What the customer is told about points the programme holds for a check; "" for none."""
    if points <= 0:
        return ""
    return f"{_points(points)} are being checked and will be added to your account once approved."


def _points(count: int) -> str:
    return f"{count:,} point" if count == 1 else f"{count:,} points"
