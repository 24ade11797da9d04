"""Points a basket should earn, worked out on the till from the programme's published rules.

Used only while the loyalty service cannot quote: the figure is shown as an estimate and the
service's own answer replaces it when the sale gets through. ``estimate_points`` knows the base
rate, the excluded categories and products, and the tier multiplier; pos_core.offline_quote adds
the promotions and threshold bonuses the programme publishes.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

from pos_core.basket import Basket, BasketLine
from pos_core.loyalty_models import Program


def excluded_because(program: Program, line: BasketLine) -> str | None:
    """The excluded category or SKU that keeps this line from earning, or None when it earns."""
    if line.product.category in program.excluded_categories:
        return line.product.category
    if line.product.sku in program.excluded_products:
        return line.product.sku
    return None


def earns(program: Program, line: BasketLine) -> bool:
    return excluded_because(program, line) is None


def points_for(program: Program, eligible_amount: int, tier_multiplier: Decimal) -> int:
    """floor(eligible × points per unit × tier multiplier), once per sale, as the contract states."""
    points = Decimal(eligible_amount) * program.points_per_unit * tier_multiplier / (10**program.exponent)
    return int(points.to_integral_value(ROUND_FLOOR))


def estimate_points(program: Program, basket: Basket, tier_multiplier: Decimal) -> int:
    return points_for(program, sum(line.line_total for line in basket.lines if earns(program, line)), tier_multiplier)
