from decimal import Decimal

from pos_core.basket import Basket
from pos_core.catalog import Product
from pos_core.loyalty_models import Program
from pos_core.points_estimate import estimate_points

PROGRAM = Program.from_json({
    "currency": "GBP", "exponent": 2, "terms_version": "2026-01",
    "earning": {"points_per_unit": 1, "excluded_categories": ["tobacco"], "excluded_products": ["1099"]},
})


def test_estimate_follows_the_published_rules() -> None:
    basket = (Basket().add(Product("1005", None, "Loaf", "bakery", 349), 2)
              .add(Product("1034", None, "Cigarettes", "tobacco", 1650))
              .add(Product("1099", None, "Stamps", "post", 500)))
    assert estimate_points(PROGRAM, basket, Decimal("1")) == 6
    assert estimate_points(PROGRAM, basket, Decimal("1.25")) == 8
    assert estimate_points(PROGRAM, Basket(), Decimal("1.5")) == 0
