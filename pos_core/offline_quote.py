"""A quote worked out on the till while the service cannot quote, by the contract's published rules.

It follows docs/loyalty-api-v1.md ("Rounding") step for step, as the reference service does:
only lines that may earn take discounts, each line carrying its share (a free item off its own
line, the rest spread in proportion to what is left of each line, leftover minor units to the
largest remainders); percent off is rounded half up on the eligible total and capped; a fixed
amount is capped at what is left; points as money are worth floor(points × value per point).
Each line earns on what is left of it at the base rate or the best promotion multiplier open now,
the tier multiplies that, fixed bonuses and the best threshold bonus are added, and the sum is
floored once. Rewards are used offline only where the store allows it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

from pos_core.basket import BasketLine
from pos_core.loyalty_errors import RewardNotAvailable
from pos_core.loyalty_models import BreakdownEntry, Discount, Program, Quote, Reward
from pos_core.points_estimate import excluded_because
from pos_core.sale import Sale


def spread(amount: int, remaining: dict[int, int]) -> dict[int, int]:
    """``amount`` shared over lines in proportion to what is left of each, in whole minor units."""
    base = sum(remaining.values())
    if amount <= 0 or base <= 0:
        return {}
    shares = {i: amount * left // base for i, left in remaining.items()}
    leftover = amount - sum(shares.values())
    for i in sorted(remaining, key=lambda i: (-(amount * remaining[i] % base), i))[:leftover]:
        shares[i] += 1
    return shares


def offline_quote(program: Program, sale: Sale, at: datetime | None = None) -> Quote:
    assert sale.customer is not None
    lines = list(sale.basket.lines)
    excluded = {i: why for i, line in enumerate(lines) if (why := excluded_because(program, line))}
    left = {i: line.line_total for i, line in enumerate(lines) if i not in excluded}
    eligible = sum(left.values())
    remaining = eligible
    free_units: dict[int, int] = {}
    discounts: list[Discount] = []
    redeemed = 0
    points_to_spend = getattr(sale, "points_to_spend", None)
    for reward_id in sale.rewards:
        reward = sale.customer.reward(reward_id)
        if reward is None or remaining <= 0:
            raise RewardNotAvailable(f"{reward_id} cannot be used on this basket", code="reward_not_available")
        cost, target = reward.cost, None
        kind = reward.discount
        if kind.kind == "amount_off":
            amount = kind.amount or 0
        elif kind.kind == "percent_off":
            amount = int((Decimal(kind.percent or 0) * eligible / 100).quantize(Decimal(1), ROUND_HALF_UP))
            amount = min(amount, kind.cap) if kind.cap is not None else amount
        elif kind.kind == "points_as_money":
            cost = points_to_spend if points_to_spend is not None else (kind.min_points or reward.cost)
            amount = _points_value(reward, cost, remaining)
        elif kind.kind == "free_item":
            matching = [i for i in left if lines[i].product.category == kind.category]
            if not matching:
                raise RewardNotAvailable(f"{reward.name} needs a {kind.category} item", code="reward_not_available")
            target = min(matching, key=lambda i: (lines[i].product.unit_price, i))
            amount = lines[target].product.unit_price
            free_units[target] = free_units.get(target, 0) + 1
        else:
            raise RewardNotAvailable(f"{reward.name} needs the loyalty service", code="reward_not_available")
        amount = min(amount, remaining)
        if target is not None:
            own = min(amount, left[target])
            left[target] -= own
        else:
            own = 0
        for i, share in spread(amount - own, {i: v for i, v in left.items() if v > 0}).items():
            left[i] -= share
        remaining -= amount
        redeemed += cost
        discounts.append(Discount(reward.reward_id, reward.name, amount))
    if redeemed > sale.customer.balance:
        raise RewardNotAvailable("the rewards cost more points than the balance", code="insufficient_points")
    discount_total = eligible - remaining
    moment = program.local_time(at or datetime.now(UTC))
    points, breakdown = _earn(program, lines, excluded, left, free_units, moment, sale.customer.tier.multiplier)
    return Quote(
        currency=sale.currency,
        subtotal=sale.basket.subtotal,
        discounts=tuple(discounts),
        discount_total=discount_total,
        total=sale.basket.subtotal - discount_total,
        points_earned=points,  # no points on the part paid by rewards
        points_redeemed=redeemed,
        balance_after=None,
        estimated=True,
        breakdown=breakdown,
    )


def _points_value(reward: Reward, points: int, remaining: int) -> int:
    kind = reward.discount
    value = kind.value_per_point or Decimal(0)
    low = kind.min_points or reward.cost
    if points < low or (kind.max_points is not None and points > kind.max_points) or value <= 0:
        raise RewardNotAvailable(f"{reward.name}: {points} points is outside its limits", code="reward_not_available")
    amount = int((points * value).to_integral_value(ROUND_FLOOR))
    if amount > remaining:
        raise RewardNotAvailable(f"{points} points are worth more than is left to pay", code="reward_not_available")
    return amount


def _earn(
    program: Program,
    lines: list[BasketLine],
    excluded: dict[int, str],
    left: dict[int, int],
    free_units: dict[int, int],
    local: datetime,
    tier_multiplier: Decimal,
) -> tuple[int, tuple[BreakdownEntry, ...]]:
    promotions = [p for p in program.promotions if p.window.contains(local)]
    scale = Decimal(10) ** program.exponent
    entries: list[BreakdownEntry] = []
    bonuses: list[BreakdownEntry] = []
    base = Decimal(0)
    for i, line in enumerate(lines):
        product = line.product
        if i in excluded:
            entries.append(BreakdownEntry("excluded", product.name, Decimal(0), sku=product.sku,
                                          quantity=line.quantity, amount=line.line_total, discount=0,
                                          eligible_amount=0, rule_id=excluded[i],
                                          note=f"{excluded[i]} earns no points"))
            continue
        covering = [p for p in promotions if product.sku in p.products or product.category in p.categories]
        best = max((p for p in covering if p.multiplier is not None), key=lambda p: (p.multiplier, p.promotion_id),
                   default=None)
        multiplier = best.multiplier if best is not None and best.multiplier is not None else Decimal(1)
        points = Decimal(left[i]) * program.points_per_unit * multiplier / scale
        base += points
        entries.append(BreakdownEntry(
            "promotion" if best else "base", product.name, points, sku=product.sku, quantity=line.quantity,
            amount=line.line_total, discount=line.line_total - left[i], eligible_amount=left[i],
            multiplier=multiplier, rule_id=best.promotion_id if best else None, note=best.name if best else "",
        ))
        paid_units = line.quantity - free_units.get(i, 0)
        if left[i] <= 0 or paid_units <= 0:
            continue
        for promotion in covering:
            if promotion.bonus_points:
                bonuses.append(BreakdownEntry("bonus", promotion.name, Decimal(promotion.bonus_points * paid_units),
                                              sku=product.sku, quantity=paid_units, rule_id=promotion.promotion_id))
    entries.extend(bonuses)
    exact = base * tier_multiplier + sum((b.points for b in bonuses), Decimal(0))
    if tier_multiplier != 1:
        entries.append(BreakdownEntry("tier", "tier", base * (tier_multiplier - 1), multiplier=tier_multiplier))
    spent = sum(left.values())
    reached = [b for b in program.threshold_bonuses if b.window.contains(local) and spent >= b.min_spend]
    if reached:
        bonus = max(reached, key=lambda b: (b.min_spend, b.points))
        exact += bonus.points
        entries.append(BreakdownEntry("threshold", bonus.name, Decimal(bonus.points), eligible_amount=spent,
                                      rule_id=bonus.bonus_id))
    earned = int(exact.to_integral_value(ROUND_FLOOR))
    if earned != exact:
        entries.append(BreakdownEntry("rounding", "rounded down", Decimal(earned) - exact))
    return earned, tuple(entries)
