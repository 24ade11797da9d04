"""The pricing rules, pure: discounts, totals and points as the contract's "Rounding" states them."""

from __future__ import annotations

import dataclasses
from decimal import ROUND_FLOOR, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyalty_service.pricing import Line, PricingError, price
from loyalty_service.program import RewardRule, load_program

# The demo programme's base rules: its promotions and threshold bonus have tests of their own
# (tests/service/test_promotions.py), and these state the base formula exactly.
PROGRAM = dataclasses.replace(load_program(), promotions=(), threshold_bonuses=())
DRINK = Line("1001", "Flat white", "hot_drinks", 1, 310)
TEAS = Line("1002", "Tea", "hot_drinks", 2, 220)
LOAVES = Line("1005", "Sourdough loaf", "bakery", 2, 349)
CIGS = Line("1034", "Cigarettes 20", "tobacco", 1, 1650)
GIFT = Line("1036", "Gift card £20", "gift_cards", 1, 2000)
BRONZE, SILVER, GOLD = Decimal("1"), Decimal("1.25"), Decimal("1.5")


def dairy(pence: int) -> Line:
    return Line("x", "Cheese", "dairy", 1, pence)


def refusal(lines: list[Line], rewards: list[str]) -> str:
    with pytest.raises(PricingError) as error:
        price(PROGRAM, lines, rewards, BRONZE)
    assert error.value.code == "reward_not_available"
    return error.value.message


def test_no_rewards() -> None:
    priced = price(PROGRAM, [DRINK, LOAVES], [], BRONZE)
    assert (priced.subtotal, priced.discounts, priced.discount_total, priced.total) == (1008, (), 0, 1008)
    assert (priced.eligible_amount, priced.points_earned, priced.points_redeemed) == (1008, 10, 0)


def test_points_floor_the_eligible_pounds_times_the_tier_once_per_sale() -> None:
    assert price(PROGRAM, [LOAVES], [], BRONZE).points_earned == 6  # 6.98
    assert price(PROGRAM, [LOAVES], [], SILVER).points_earned == 8  # 8.725
    assert price(PROGRAM, [LOAVES], [], GOLD).points_earned == 10  # 10.47
    assert price(PROGRAM, [dairy(99)], [], BRONZE).points_earned == 0
    assert price(PROGRAM, [dairy(100)], [], BRONZE).points_earned == 1
    assert price(PROGRAM, [dairy(80)], [], SILVER).points_earned == 1  # exactly 1.00: no float error below it
    # Once per sale, not per line: 2 × £0.60 would floor to 0 + 0 line by line.
    assert price(PROGRAM, [dairy(60), dairy(60)], [], BRONZE).points_earned == 1


def test_points_per_unit_and_exponent_come_from_the_program() -> None:
    yen = dataclasses.replace(PROGRAM, currency="JPY", exponent=0, points_per_unit=3)
    assert price(yen, [dairy(7)], [], SILVER).points_earned == 26  # 7 × 3 × 1.25 = 26.25


def test_excluded_categories_earn_nothing_and_take_no_discount() -> None:
    priced = price(PROGRAM, [CIGS, GIFT], [], GOLD)
    assert (priced.subtotal, priced.total, priced.eligible_amount, priced.points_earned) == (3650, 3650, 0, 0)
    assert "nothing left" in refusal([CIGS, GIFT], ["five-off"])
    assert "nothing left" in refusal([CIGS], ["ten-percent"])
    mixed = price(PROGRAM, [CIGS, LOAVES], ["five-off"], BRONZE)
    assert (mixed.discount_total, mixed.total, mixed.eligible_amount) == (500, 1650 + 698 - 500, 198)
    assert mixed.points_earned == 1  # only £1.98 earns
    # 10% is of the eligible lines only: 10% of £6.98 -> 70, not of £23.48
    assert price(PROGRAM, [CIGS, LOAVES], ["ten-percent"], BRONZE).discount_total == 70


def test_free_item_is_the_cheapest_single_unit_in_its_category() -> None:
    priced = price(PROGRAM, [DRINK, TEAS, LOAVES], ["free-hot-drink"], BRONZE)
    assert [(d.reward_id, d.name, d.amount, d.cost) for d in priced.discounts] == [
        ("free-hot-drink", "Free hot drink", 220, 150)]
    assert priced.total == 310 + 440 + 698 - 220
    assert priced.points_redeemed == 150
    assert priced.points_earned == 12  # 1228 -> 12.28
    assert "hot_drinks" in refusal([LOAVES], ["free-hot-drink"])


def test_free_item_never_comes_from_an_excluded_category() -> None:
    program = dataclasses.replace(PROGRAM, rewards=(
        RewardRule("free-cigs", "Free cigarettes", 100, "free_item", "", category="tobacco"),))
    with pytest.raises(PricingError):
        price(program, [CIGS, LOAVES], ["free-cigs"], BRONZE)


def test_amount_off_is_capped_at_what_is_left_so_a_total_is_never_negative() -> None:
    croissant = Line("1006", "Croissant", "bakery", 1, 135)
    priced = price(PROGRAM, [croissant], ["five-off"], BRONZE)
    assert (priced.discount_total, priced.total, priced.eligible_amount, priced.points_earned) == (135, 0, 0, 0)
    assert priced.points_redeemed == 500
    assert price(PROGRAM, [dairy(501)], ["five-off"], BRONZE).total == 1


def test_percent_off_rounds_half_up_then_is_capped() -> None:
    assert price(PROGRAM, [dairy(1005)], ["ten-percent"], BRONZE).discount_total == 101  # 100.5 -> 101
    assert price(PROGRAM, [dairy(1004)], ["ten-percent"], BRONZE).discount_total == 100  # 100.4 -> 100
    assert price(PROGRAM, [dairy(20000)], ["ten-percent"], BRONZE).discount_total == 2000  # at the cap
    assert price(PROGRAM, [dairy(30000)], ["ten-percent"], BRONZE).discount_total == 2000  # £30 -> the £20 cap
    uncapped = dataclasses.replace(PROGRAM, rewards=(
        RewardRule("half", "Half off", 10, "percent_off", "", percent=50),))
    assert price(uncapped, [dairy(30001)], ["half"], BRONZE).discount_total == 15001  # 15000.5 -> 15001


def test_percent_base_is_the_eligible_total_whatever_came_before() -> None:
    priced = price(PROGRAM, [dairy(1000)], ["five-off", "ten-percent"], BRONZE)
    assert [d.amount for d in priced.discounts] == [500, 100]  # 10% of £10, not of the £5 left
    assert (priced.total, priced.points_earned, priced.points_redeemed) == (400, 4, 1500)


def test_rewards_apply_in_the_order_given() -> None:
    # The drink first: £3.10 off, then £5 of the £6.98 left.
    first = price(PROGRAM, [DRINK, LOAVES], ["free-hot-drink", "five-off"], BRONZE)
    assert [d.amount for d in first.discounts] == [310, 500]
    # £5 first leaves only £0.44 of a £5.44 basket for the drink.
    small = [Line("1002", "Tea", "hot_drinks", 1, 220), Line("x", "Bun", "bakery", 1, 324)]
    second = price(PROGRAM, small, ["five-off", "free-hot-drink"], BRONZE)
    assert [d.amount for d in second.discounts] == [500, 44]
    assert second.total == 0


def test_a_reward_applies_once_and_must_exist() -> None:
    assert "twice" in refusal([DRINK], ["free-hot-drink", "free-hot-drink"])
    assert "no reward" in refusal([DRINK], ["free-coffee-forever"])


def test_points_never_come_from_the_discounted_part() -> None:
    priced = price(PROGRAM, [dairy(1099)], ["five-off"], GOLD)
    assert priced.eligible_amount == 599
    assert priced.points_earned == 8  # 5.99 × 1.5 = 8.985, not 10.99 × 1.5 = 16.485


# -- properties -------------------------------------------------------------------------------------

lines = st.lists(
    st.builds(
        Line,
        sku=st.sampled_from(["1", "2", "3"]),
        name=st.just("item"),
        category=st.sampled_from(["bakery", "hot_drinks", "dairy", "tobacco", "gift_cards"]),
        quantity=st.integers(1, 20),
        unit_price=st.integers(0, 50_000),
    ),
    min_size=1,
    max_size=8,
)
rewards = st.lists(st.sampled_from(["free-hot-drink", "five-off", "ten-percent"]), unique=True, max_size=3)
multipliers = st.sampled_from([BRONZE, SILVER, GOLD])


@given(lines, rewards, multipliers)
def test_totals_and_points_hold_for_any_basket(basket: list[Line], chosen: list[str], multiplier: Decimal) -> None:
    try:
        priced = price(PROGRAM, basket, chosen, multiplier)
    except PricingError:
        return
    eligible = sum(item.total for item in basket if item.category not in PROGRAM.excluded_categories)
    assert priced.subtotal == sum(item.total for item in basket)
    assert priced.total == priced.subtotal - priced.discount_total >= 0
    assert priced.discount_total == sum(d.amount for d in priced.discounts) <= eligible
    assert all(d.amount >= 0 for d in priced.discounts)
    assert priced.eligible_amount == eligible - priced.discount_total
    assert [d.reward_id for d in priced.discounts] == chosen
    assert priced.points_redeemed == sum(PROGRAM.reward(r).cost for r in chosen)  # type: ignore[union-attr]
    # No points from the part paid by rewards, nor from excluded lines.
    exact = Decimal(priced.eligible_amount) * multiplier / 100
    assert priced.points_earned == int(exact.to_integral_value(ROUND_FLOOR))
    assert priced.points_earned <= int(Decimal(eligible) * GOLD / 100)


@given(lines, multipliers)
def test_more_tier_never_means_fewer_points(basket: list[Line], multiplier: Decimal) -> None:
    assert price(PROGRAM, basket, [], multiplier).points_earned >= price(PROGRAM, basket, [], BRONZE).points_earned
