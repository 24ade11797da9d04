"""What a basket costs and earns: reward discounts, the total, points, and why. Pure: no I/O.

The rules are the contract's (docs/loyalty-api-v1.md, "Rounding"): discounts only touch lines
that may earn, and each line carries its share of them; a line earns on what is left of it, at the
base rate or the best promotion multiplier open now; the tier multiplies that; fixed bonuses (per
unit paid for) and the best threshold bonus reached are added; the sum is floored once per sale.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

from loyalty_service.program import Program, Promotion, RewardRule


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
    # (line index, minor units) for a reward aimed at an item (a free item): the lines it came off,
    # so a return refunds what each line cost. Empty for a basket-wide discount, which is spread.
    lines: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True, slots=True)
class Explanation:
    """One entry of a quote's breakdown (the contract's BreakdownEntry, with exact points)."""

    rule: str  # base | promotion | excluded | bonus | tier | threshold | rounding
    name: str
    points: Decimal
    sku: str | None = None
    quantity: int | None = None
    amount: int | None = None
    discount: int | None = None
    eligible_amount: int | None = None
    multiplier: Decimal | None = None
    rule_id: str | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class Priced:
    subtotal: int
    discounts: tuple[AppliedDiscount, ...]
    discount_total: int
    total: int
    eligible_amount: int
    points_earned: int
    points_redeemed: int
    breakdown: tuple[Explanation, ...] = ()


class PricingError(ValueError):
    """A reward that cannot be used on this basket; ``code`` is the contract's error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def spread(amount: int, remaining: dict[int, int]) -> dict[int, int]:
    """Share ``amount`` over lines in proportion to what is left of each, in whole minor units:
    each gets the floor of its share, and the units left over go one each to the largest
    remainders (the earlier line first on a tie). ``amount`` is at most the sum left."""
    base = sum(remaining.values())
    if amount <= 0 or base <= 0:
        return {}
    shares = {i: amount * left // base for i, left in remaining.items()}
    leftover = amount - sum(shares.values())
    by_remainder = sorted(remaining, key=lambda i: (-(amount * remaining[i] % base), i))
    for i in by_remainder[:leftover]:
        shares[i] += 1
    return shares


def price(
    program: Program,
    lines: list[Line],
    reward_ids: list[str],
    multiplier: Decimal,
    *,
    at: datetime | None = None,
    points_to_spend: int | None = None,
    tier_name: str = "",
) -> Priced:
    """Apply the rewards in the order given, then earn on what is left of each eligible line.

    ``at`` is when the sale happens (aware; default now), for the rules' time windows.
    """
    local = program.local_time(at or datetime.now(UTC))
    subtotal = sum(line.total for line in lines)
    excluded = {i: why for i, line in enumerate(lines) if (why := _excluded(program, line))}
    left = {i: line.total for i, line in enumerate(lines) if i not in excluded}
    eligible_total = sum(left.values())
    remaining = eligible_total
    free_units: dict[int, int] = {}
    discounts: list[AppliedDiscount] = []
    seen: set[str] = set()
    chosen = [program.reward(r) for r in reward_ids]
    if points_to_spend is not None and not any(r and r.kind == "points_as_money" for r in chosen):
        raise PricingError("reward_not_available", "points_to_spend needs a points-as-money reward among the rewards")
    for reward_id, reward in zip(reward_ids, chosen, strict=True):
        if reward is None:
            raise PricingError("reward_not_available", f"there is no reward '{reward_id}'")
        if reward_id in seen:
            raise PricingError("reward_not_available", f"'{reward_id}' is chosen twice; a reward applies once a sale")
        seen.add(reward_id)
        if remaining <= 0:
            raise PricingError("reward_not_available", f"nothing left in the basket for '{reward.name}' to discount")
        cost = reward.cost
        target = None
        if reward.kind == "amount_off":
            amount = reward.amount or 0
        elif reward.kind == "percent_off":
            amount = int((Decimal(reward.percent or 0) * eligible_total / 100).quantize(Decimal(1), ROUND_HALF_UP))
            if reward.cap is not None:
                amount = min(amount, reward.cap)
        elif reward.kind == "points_as_money":
            cost = points_to_spend if points_to_spend is not None else reward.cost
            amount = _points_value(reward, cost, remaining)
        else:
            matching = [i for i in left if lines[i].category == reward.category]
            if not matching:
                raise PricingError(
                    "reward_not_available", f"'{reward.name}' needs an item from {reward.category} in the basket"
                )
            target = min(matching, key=lambda i: (lines[i].unit_price, i))
            amount = lines[target].unit_price
            free_units[target] = free_units.get(target, 0) + 1
        amount = min(amount, remaining)
        taken = _take(amount, left, target)
        remaining -= amount
        came_off = tuple(sorted((i, a) for i, a in taken.items() if a)) if target is not None else ()
        discounts.append(AppliedDiscount(reward.reward_id, reward.name, amount, cost, came_off))
    discount_total = eligible_total - remaining
    points, breakdown = _earn(program, lines, excluded, left, free_units, local, multiplier, tier_name)
    return Priced(
        subtotal=subtotal,
        discounts=tuple(discounts),
        discount_total=discount_total,
        total=subtotal - discount_total,
        eligible_amount=remaining,
        points_earned=points,
        points_redeemed=sum(d.cost for d in discounts),
        breakdown=breakdown,
    )


def _excluded(program: Program, line: Line) -> str | None:
    if line.category in program.excluded_categories:
        return line.category
    if line.sku in program.excluded_products:
        return line.sku
    return None


def _points_value(reward: RewardRule, points: int, remaining: int) -> int:
    """What ``points`` are worth off this basket, within the reward's limits (refused outside them)."""
    value = reward.value_per_point or Decimal(0)
    if points < reward.cost:
        raise PricingError("reward_not_available", f"'{reward.name}' spends at least {reward.cost} points")
    if reward.max_points is not None and points > reward.max_points:
        raise PricingError("reward_not_available", f"'{reward.name}' spends at most {reward.max_points} points a sale")
    amount = int((points * value).to_integral_value(ROUND_FLOOR))
    if amount > remaining:
        most = int((remaining / value).to_integral_value(ROUND_FLOOR))
        raise PricingError(
            "reward_not_available",
            f"{points} points are worth more than is left to pay; spend at most {most} points on this basket",
        )
    return amount


def _take(amount: int, left: dict[int, int], target: int | None) -> dict[int, int]:
    """Take a discount off the lines: a free item off its own line first, the rest spread.
    Answers what came off each line."""
    taken: dict[int, int] = {}
    if target is not None:
        own = min(amount, left[target])
        left[target] -= own
        amount -= own
        taken[target] = own
    for i, share in spread(amount, {i: v for i, v in left.items() if v > 0}).items():
        left[i] -= share
        taken[i] = taken.get(i, 0) + share
    return taken


def _open(program: Program, local: datetime) -> list[Promotion]:
    return [p for p in program.promotions if p.window.contains(local)]


def _earn(
    program: Program,
    lines: list[Line],
    excluded: dict[int, str],
    left: dict[int, int],
    free_units: dict[int, int],
    local: datetime,
    tier_multiplier: Decimal,
    tier_name: str,
) -> tuple[int, tuple[Explanation, ...]]:
    promotions = _open(program, local)
    scale = Decimal(10) ** program.exponent
    entries: list[Explanation] = []
    bonuses: list[Explanation] = []
    base_points = Decimal(0)
    for i, line in enumerate(lines):
        if i in excluded:
            entries.append(Explanation(
                "excluded", line.name, Decimal(0), sku=line.sku, quantity=line.quantity, amount=line.total,
                discount=0, eligible_amount=0, rule_id=excluded[i], note=f"{excluded[i]} earns no points",
            ))
            continue
        eligible = left[i]
        covering = [p for p in promotions if p.covers(line.sku, line.category)]
        best = max((p for p in covering if p.multiplier is not None), key=lambda p: (p.multiplier, p.promotion_id),
                   default=None)
        multiplier = best.multiplier if best is not None and best.multiplier is not None else Decimal(1)
        points = Decimal(eligible) * program.points_per_unit * multiplier / scale
        base_points += points
        discount = line.total - eligible
        entries.append(Explanation(
            "promotion" if best else "base", line.name, points, sku=line.sku, quantity=line.quantity,
            amount=line.total, discount=discount, eligible_amount=eligible, multiplier=multiplier,
            rule_id=best.promotion_id if best else None,
            note=f"{best.name} ({best.window.describe()})" if best else f"{program.points_per_unit} per unit",
        ))
        paid_units = line.quantity - free_units.get(i, 0)
        if eligible <= 0 or paid_units <= 0:
            continue  # a line paid wholly by rewards earns no bonus
        for promotion in covering:
            if promotion.bonus_points:
                bonuses.append(Explanation(
                    "bonus", promotion.name, Decimal(promotion.bonus_points * paid_units), sku=line.sku,
                    quantity=paid_units, rule_id=promotion.promotion_id,
                    note=f"{promotion.bonus_points} per unit × {paid_units} ({promotion.window.describe()})",
                ))
    entries.extend(bonuses)
    exact = base_points * tier_multiplier + sum((b.points for b in bonuses), Decimal(0))
    if tier_multiplier != 1:
        entries.append(Explanation(
            "tier", tier_name or "tier", base_points * (tier_multiplier - 1), multiplier=tier_multiplier,
            rule_id=tier_name or None, note=f"× {tier_multiplier} on the lines' points",
        ))
    eligible_after = sum(left.values())
    reached = [b for b in program.threshold_bonuses if b.window.contains(local) and eligible_after >= b.min_spend]
    if reached:
        best_bonus = max(reached, key=lambda b: (b.min_spend, b.points))
        exact += best_bonus.points
        entries.append(Explanation(
            "threshold", best_bonus.name, Decimal(best_bonus.points), eligible_amount=eligible_after,
            rule_id=best_bonus.bonus_id, note=f"eligible spend of at least {best_bonus.min_spend}",
        ))
    earned = int(exact.to_integral_value(ROUND_FLOOR))
    if earned != exact:
        entries.append(Explanation("rounding", "rounded down", Decimal(earned) - exact, note="once per sale"))
    return earned, tuple(entries)
