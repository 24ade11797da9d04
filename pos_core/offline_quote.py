"""A quote worked out on the till while the service cannot quote, by the contract's published rules.

Discounts follow docs/loyalty-api-v1.md ("Rounding"): only lines that may earn take discounts;
percent off is rounded half up on the eligible total and capped; a fixed amount is capped at
what is left; a free item is the cheapest matching unit. Points are an estimate (promotions the
till cannot see only make them higher). Rewards are used offline only where the store allows it.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from pos_core.loyalty_errors import RewardNotAvailable
from pos_core.loyalty_models import Discount, Program, Quote, Reward
from pos_core.points_estimate import earns, points_for
from pos_core.sale import Sale


def offline_quote(program: Program, sale: Sale) -> Quote:
    assert sale.customer is not None
    eligible_lines = [line for line in sale.basket.lines if earns(program, line)]
    eligible = sum(line.line_total for line in eligible_lines)
    remaining = eligible
    discounts: list[Discount] = []
    redeemed = 0
    for reward_id in sale.rewards:
        reward = sale.customer.reward(reward_id)
        if reward is None or remaining <= 0:
            raise RewardNotAvailable(f"{reward_id} cannot be used on this basket", code="reward_not_available")
        amount = min(_discount(reward, eligible, eligible_lines), remaining)
        remaining -= amount
        redeemed += reward.cost
        discounts.append(Discount(reward.reward_id, reward.name, amount))
    if redeemed > sale.customer.balance:
        raise RewardNotAvailable("the rewards cost more points than the balance", code="insufficient_points")
    discount_total = eligible - remaining
    return Quote(
        currency=sale.currency,
        subtotal=sale.basket.subtotal,
        discounts=tuple(discounts),
        discount_total=discount_total,
        total=sale.basket.subtotal - discount_total,
        # No points on the part paid by rewards.
        points_earned=points_for(program, remaining, sale.customer.tier.multiplier),
        points_redeemed=redeemed,
        balance_after=None,
        estimated=True,
    )


def _discount(reward: Reward, eligible: int, eligible_lines) -> int:
    kind = reward.discount
    if kind.kind == "amount_off":
        return kind.amount or 0
    if kind.kind == "percent_off":
        amount = int((Decimal(kind.percent or 0) * eligible / 100).quantize(Decimal(1), ROUND_HALF_UP))
        return min(amount, kind.cap) if kind.cap is not None else amount
    matching = [line.product.unit_price for line in eligible_lines if line.product.category == kind.category]
    if not matching:
        raise RewardNotAvailable(f"{reward.name} needs a {kind.category} item", code="reward_not_available")
    return min(matching)
