"""What a basket costs and earns: reward discounts, the total, and points. Pure: no I/O.

The rules are the contract's (docs/loyalty-api-v1.md, "Rounding"): discounts only touch lines
that may earn; points are floor(eligible after discounts × rate × tier multiplier), once a sale.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

from loyalty_service.program import Program


@dataclass(frozen=True, slots=True)
class Line:
    sku: str
    name: str
    category: str
    quantity: int
    unit_price: int

    @property
    def total(self) -> int:
        return self.quantity * self.unit_price


@dataclass(frozen=True, slots=True)
class AppliedDiscount:
    reward_id: str
    name: str
    amount: int  # minor units taken off
    cost: int  # points it uses


@dataclass(frozen=True, slots=True)
class Priced:
    subtotal: int
    discounts: tuple[AppliedDiscount, ...]
    discount_total: int
    total: int
    eligible_amount: int
    points_earned: int
    points_redeemed: int


class PricingError(ValueError):
    """A reward that cannot be used on this basket; ``code`` is the contract's error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def price(program: Program, lines: list[Line], reward_ids: list[str], multiplier: Decimal) -> Priced:
    """Apply the rewards in the order given, then earn on what is left of the eligible lines."""
    subtotal = sum(line.total for line in lines)
    eligible = [line for line in lines if line.category not in program.excluded_categories]
    eligible_total = sum(line.total for line in eligible)
    remaining = eligible_total
    discounts: list[AppliedDiscount] = []
    seen: set[str] = set()
    for reward_id in reward_ids:
        reward = program.reward(reward_id)
        if reward is None:
            raise PricingError("reward_not_available", f"there is no reward '{reward_id}'")
        if reward_id in seen:
            raise PricingError("reward_not_available", f"'{reward_id}' is chosen twice; a reward applies once a sale")
        seen.add(reward_id)
        if remaining <= 0:
            raise PricingError("reward_not_available", f"nothing left in the basket for '{reward.name}' to discount")
        if reward.kind == "amount_off":
            amount = reward.amount or 0
        elif reward.kind == "percent_off":
            amount = int((Decimal(reward.percent or 0) * eligible_total / 100).quantize(Decimal(1), ROUND_HALF_UP))
            if reward.cap is not None:
                amount = min(amount, reward.cap)
        else:
            matching = [line for line in eligible if line.category == reward.category]
            if not matching:
                raise PricingError(
                    "reward_not_available", f"'{reward.name}' needs an item from {reward.category} in the basket"
                )
            amount = min(line.unit_price for line in matching)
        amount = min(amount, remaining)
        remaining -= amount
        discounts.append(AppliedDiscount(reward.reward_id, reward.name, amount, reward.cost))
    discount_total = eligible_total - remaining
    earning = Decimal(remaining) * program.points_per_unit * multiplier / (10**program.exponent)
    return Priced(
        subtotal=subtotal,
        discounts=tuple(discounts),
        discount_total=discount_total,
        total=subtotal - discount_total,
        eligible_amount=remaining,
        points_earned=int(earning.to_integral_value(ROUND_FLOOR)),
        points_redeemed=sum(d.cost for d in discounts),
    )
