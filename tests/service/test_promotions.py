"""The programme's newer rules, one kind at a time, at explicit moments: excluded products,
promotion multipliers and bonuses in their time windows, threshold bonuses, points as money, the
breakdown, tier qualification; and properties: the breakdown adds up, points never come from a
discounted amount, a quote and the sale it becomes always agree."""

from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import UTC, date, datetime
from decimal import ROUND_FLOOR, Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loyalty_service import sales
from loyalty_service.database import open_database, write_transaction
from loyalty_service.demo_store import seed
from loyalty_service.pricing import Line, PricingError, price, spread
from loyalty_service.program import DEMO_PROGRAM, Program, ProgramError, Promotion, ThresholdBonus, load_program
from loyalty_service.rule_windows import Window
from tests.service.conftest import BACKENDS, fresh_database
from tests.service.inprocess import demo_service

DEMO = load_program()
BASE = dataclasses.replace(DEMO, promotions=(), threshold_bonuses=())
ONE = Decimal(1)
# Europe/London: 2026-11-24 is a Tuesday (GMT, so local = UTC in November).
TUESDAY_3PM = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
TUESDAY_5PM = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)
WEDNESDAY_3PM = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
BUN = Line("1008", "Cinnamon bun", "bakery", 2, 225)
BAGELS = Line("1038", "Bagels x4", "bakery", 1, 165)
CIDER = Line("1033", "Cider 500ml", "alcohol", 1, 225)
CHEESE = Line("1011", "Cheddar 400g", "dairy", 1, 375)


def rules(entries) -> list[tuple[str, str | None, Decimal]]:
    return [(e.rule, e.sku, e.points) for e in entries]


def test_an_excluded_product_earns_nothing_and_takes_no_discount() -> None:
    priced = price(DEMO, [CIDER, CHEESE], [], ONE, at=WEDNESDAY_3PM)
    assert (priced.eligible_amount, priced.points_earned) == (375, 3)
    assert rules(priced.breakdown)[0] == ("excluded", "1033", Decimal(0))
    assert priced.breakdown[0].rule_id == "1033"
    with pytest.raises(PricingError):
        price(DEMO, [CIDER], ["five-off"], ONE, at=WEDNESDAY_3PM)


def test_a_multiplier_counts_only_inside_its_window() -> None:
    # Double points on cinnamon buns, Tuesdays and Thursdays 14:00-17:00 (17:00 itself is out).
    inside = price(DEMO, [BUN, CHEESE], [], ONE, at=TUESDAY_3PM)
    assert inside.points_earned == 12  # 4.50 × 2 + 3.75 = 12.75
    assert (inside.breakdown[0].rule, inside.breakdown[0].rule_id, inside.breakdown[0].multiplier) == (
        "promotion", "bun-afternoons", Decimal(2))
    assert price(DEMO, [BUN, CHEESE], [], ONE, at=TUESDAY_5PM).points_earned == 8  # 8.25
    assert price(DEMO, [BUN, CHEESE], [], ONE, at=WEDNESDAY_3PM).points_earned == 8


def test_the_time_zone_decides_the_hour() -> None:
    summer = dataclasses.replace(DEMO, timezone="Europe/London")
    # 13:30 UTC in July is 14:30 in London (BST): inside. 2026-07-14 is a Tuesday.
    assert price(summer, [BUN], [], ONE, at=datetime(2026, 7, 14, 13, 30, tzinfo=UTC)).points_earned == 9
    assert price(dataclasses.replace(DEMO, timezone="UTC"), [BUN], [], ONE,
                 at=datetime(2026, 7, 14, 13, 30, tzinfo=UTC)).points_earned == 4


def test_dates_bound_a_window_inclusively() -> None:
    window = Window(from_date=date(2026, 11, 1), until_date=date(2026, 11, 30))
    assert window.contains(datetime(2026, 11, 30, 23, 59)) and window.contains(datetime(2026, 11, 1, 0, 0))
    assert not window.contains(datetime(2026, 12, 1, 0, 0)) and not window.contains(datetime(2026, 10, 31, 23, 59))
    assert Window().always and Window(weekdays=(1,), start_minute=840, end_minute=1020).describe() == (
        "Tuesdays 14:00–17:00")


def test_the_best_multiplier_wins_and_is_not_compounded() -> None:
    program = dataclasses.replace(BASE, promotions=(
        Promotion("bakery-x3", "Triple bakery", categories=("bakery",), multiplier=Decimal(3)),
        Promotion("bun-x2", "Double buns", products=("1008",), multiplier=Decimal(2))))
    assert price(program, [BUN], [], ONE).points_earned == 13  # 4.50 × 3, not × 6


def test_a_fixed_bonus_is_per_unit_paid_for_and_not_multiplied_by_the_tier() -> None:
    two_bags = dataclasses.replace(BAGELS, quantity=2)
    priced = price(DEMO, [two_bags], [], Decimal("1.5"), at=WEDNESDAY_3PM)
    assert priced.points_earned == 4 + 50  # floor(3.30 × 1.5) + 25 × 2
    assert ("bonus", "1038", Decimal(50)) in rules(priced.breakdown)


def test_a_line_paid_wholly_by_rewards_earns_no_bonus() -> None:
    program = dataclasses.replace(BASE, promotions=(
        Promotion("tea-bonus", "Tea bonus", products=("1002",), bonus_points=10),))
    tea = Line("1002", "Tea", "hot_drinks", 1, 220)
    assert price(program, [tea, CHEESE], [], ONE).points_earned == 5 + 10
    free = price(program, [tea, CHEESE], ["free-hot-drink"], ONE)
    assert free.points_earned == 3 and "bonus" not in [e.rule for e in free.breakdown]


def test_the_highest_threshold_reached_after_discounts_counts() -> None:
    program = dataclasses.replace(BASE, threshold_bonuses=(
        ThresholdBonus("small", "Small", 2000, 10), ThresholdBonus("big", "Big", 4000, 50)))
    assert price(program, [Line("x", "Wine", "alcohol", 5, 800)], [], ONE).points_earned == 40 + 50
    assert price(program, [Line("x", "Wine", "alcohol", 3, 800)], [], ONE).points_earned == 24 + 10
    # £45 less £5 off is £40 spent: the big bonus still; £44 less £5 is not.
    assert price(program, [Line("x", "Box", "household", 1, 4500)], ["five-off"], ONE).points_earned == 40 + 50
    assert price(program, [Line("x", "Box", "household", 1, 4400)], ["five-off"], ONE).points_earned == 39 + 10
    # The demo's "big shop" bonus (£40) obeys its window (always).
    assert price(DEMO, [Line("x", "Box", "household", 1, 4000)], [], ONE).points_earned == 40 + 50


def test_points_as_money_spends_what_the_customer_chooses_within_limits() -> None:
    basket = [Line("x", "Box", "household", 1, 5000)]
    default = price(DEMO, basket, ["spend-points"], ONE, at=WEDNESDAY_3PM)
    assert [(d.amount, d.cost) for d in default.discounts] == [(1000, 2000)]  # the minimum: 2000 pts = £10
    chosen = price(DEMO, basket, ["spend-points"], ONE, at=WEDNESDAY_3PM, points_to_spend=3333)
    assert [(d.amount, d.cost) for d in chosen.discounts] == [(1666, 3333)]  # 1666.5p rounds down
    assert chosen.points_earned == 33 and chosen.points_redeemed == 3333  # no points on the £16.66
    for points, words in [(1999, "at least 2000"), (10001, "at most 10000")]:
        with pytest.raises(PricingError, match=words):
            price(DEMO, basket, ["spend-points"], ONE, points_to_spend=points)
    with pytest.raises(PricingError, match="spend at most 6000 points"):
        price(DEMO, [Line("x", "Box", "household", 1, 3000)], ["spend-points"], ONE, points_to_spend=8000)
    with pytest.raises(PricingError, match="points-as-money"):
        price(DEMO, basket, ["five-off"], ONE, points_to_spend=2000)


def test_a_discount_is_shared_over_lines_in_proportion() -> None:
    assert spread(100, {0: 300, 1: 100}) == {0: 75, 1: 25}
    assert spread(10, {0: 1, 1: 1, 2: 1}) == {0: 4, 1: 3, 2: 3}
    # The bun line (double points) carries its share of the £5: 450/825 of it.
    priced = price(DEMO, [BUN, CHEESE], ["five-off"], ONE, at=TUESDAY_3PM)
    bun, cheese = priced.breakdown[0], priced.breakdown[1]
    assert (bun.discount, cheese.discount) == (273, 227)
    assert (bun.eligible_amount, cheese.eligible_amount) == (177, 148)
    assert priced.points_earned == 5  # floor(1.77 × 2 + 1.48) = floor(5.02)


def test_tiers_can_be_measured_on_spend_over_a_rolling_window(service_db: Path | str) -> None:
    from loyalty_service.tier_qualification import qualifying

    alice = "acc_7f3a9c2e51d0"
    database = open_database(service_db)
    database.create_schema()
    try:
        with database.connection() as conn:
            with write_transaction(conn):
                seed(conn, DEMO)
            by_spend = dataclasses.replace(DEMO, tier_measure="spend", tier_window_days=365)
            assert qualifying(conn, DEMO, alice, 1140) == 1140  # the default: lifetime points
            assert qualifying(conn, by_spend, alice, 1140) == 0  # no sales yet
            for n, (total, when) in enumerate([(1250, "2026-03-01T10:00:00Z"), (799, "2026-06-01T10:00:00Z"),
                                               (5000, "2024-01-01T10:00:00Z")]):
                conn.execute(
                    "INSERT INTO sales (sale_id, request_hash, account_id, store_id, terminal_id, answer, created_at)"
                    " VALUES (?, 'h', ?, 's', 't', ?, ?)",
                    (f"sale-{n}", alice, json.dumps({"sale_id": f"sale-{n}", "total": total}), when))
            june = datetime(2026, 6, 2, tzinfo=UTC)
            assert qualifying(conn, by_spend, alice, 1140, now=june) == 1250 + 799  # 2024's is out of the window
            conn.execute("INSERT INTO sale_returns (return_id, sale_id, request_hash, answer, created_at)"
                         " VALUES ('ret-0', 'sale-0', 'h', ?, '2026-06-01T12:00:00Z')",
                         (json.dumps({"return_id": "ret-0", "refund_amount": 1000}),))
            assert qualifying(conn, by_spend, alice, 1140, now=june) == 250 + 799  # returned: no longer spent
            by_points = dataclasses.replace(DEMO, tier_window_days=30)
            assert qualifying(conn, by_points, alice, 1140) == 1140  # the opening is recent
            assert qualifying(conn, by_points, alice, 1140, now=datetime(2030, 1, 1, tzinfo=UTC)) == 0
    finally:
        database.close()


# -- the file ------------------------------------------------------------------------------------


def with_added(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "program.toml"
    path.write_text(DEMO_PROGRAM.read_text(encoding="utf-8") + text, encoding="utf-8")
    return path


def line_of(path: Path, needle: str) -> int:
    return [n for n, line in enumerate(path.read_text().splitlines(), 1) if needle in line][-1]  # the last


@pytest.mark.parametrize(("added", "needle", "message"), [
    ('[[promotions]]\nid = "p"\nname = "P"\nproducts = ["1005"]\nmultiplier = "2"\nhour = "14:00-17:00"\n',
     "hour =", "unknown key hour in promotion 3"),
    ('[[promotions]]\nid = "p"\nname = "P"\nproducts = ["1005"]\nmultiplier = "2"\nhours = "17:00-14:00"\n',
     "hours =", "must end after they start"),
    ('[[promotions]]\nid = "p"\nname = "P"\nproducts = ["1005"]\nmultiplier = "2"\nweekdays = ["tuesday", "fun"]\n',
     "weekdays =", "'fun' is not a weekday"),
    ('[[promotions]]\nid = "p"\nname = "P"\ncategories = ["tobacco"]\nbonus_points = 5\n',
     "categories =", "excluded from earning"),
    ('[[promotions]]\nid = "p"\nname = "P"\nproducts = ["1005"]\nmultiplier = 2.0\n',
     "multiplier = 2.0", "write the multiplier as a string"),
    ('[[promotions]]\nid = "p"\nname = "P"\nproducts = ["1005"]\nmultiplier = "2"\nfrom_date = "2026-11-01"\n',
     "from_date", "a date written without quotes"),
    ('[[threshold_bonuses]]\nid = "t"\nname = "T"\nmin_spend = 1000\npoints = 5.5\n',
     "points = 5.5", "not a whole number"),
    ('[[threshold_bonuses]]\nid = "big-shop"\nname = "T"\nmin_spend = 1000\npoints = 5\n',
     'id = "big-shop"\nname = "T"', "used twice"),
])
def test_a_bad_rule_is_refused_with_its_line(tmp_path: Path, added: str, needle: str, message: str) -> None:
    path = with_added(tmp_path, "\n" + added)
    with pytest.raises(ProgramError) as error:
        load_program(path)
    assert message in str(error.value)
    expected = line_of(path, needle.split("\n")[-1]) if "used twice" not in message else None
    if expected is not None:
        assert f"{path}, line {expected}:" in str(error.value)
    else:
        assert f"{path}, line " in str(error.value)


def test_unknown_keys_and_time_zones_name_their_line(tmp_path: Path) -> None:
    text = DEMO_PROGRAM.read_text(encoding="utf-8").replace('timezone = "Europe/London"', 'timezone = "Mars/Olympus"')
    path = tmp_path / "program.toml"
    path.write_text(text.replace("max_points = 10000", "max_points = 10000\nmax_point = 1"), encoding="utf-8")
    with pytest.raises(ProgramError, match=r"line \d+: unknown key max_point in reward 4") as error:
        load_program(path)
    assert f"line {line_of(path, 'max_point = 1')}:" in str(error.value)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProgramError, match=f"line {line_of(path, 'Mars')}: timezone 'Mars/Olympus'"):
        load_program(path)


# -- properties ----------------------------------------------------------------------------------

PROMOTED = dataclasses.replace(DEMO, promotions=(
    Promotion("bakery-x2", "Double bakery", categories=("bakery",), multiplier=Decimal(2)),
    Promotion("tea-x3", "Triple tea", products=("1002",), multiplier=Decimal(3)),
    Promotion("cheese-bonus", "Cheese bonus", products=("1011",), bonus_points=7),
    Promotion("never", "Closed", categories=("dairy",), multiplier=Decimal(10),
              window=Window(from_date=date(2000, 1, 1), until_date=date(2000, 1, 2))),
), threshold_bonuses=(ThresholdBonus("t1", "£30", 3000, 20), ThresholdBonus("t2", "£60", 6000, 60)))

basket_lines = st.lists(st.builds(
    Line,
    sku=st.sampled_from(["1002", "1005", "1011", "1033", "x"]),
    name=st.just("item"),
    category=st.sampled_from(["bakery", "hot_drinks", "dairy", "tobacco", "alcohol"]),
    quantity=st.integers(1, 5),
    unit_price=st.integers(0, 5000),
), min_size=1, max_size=6)
chosen_rewards = st.lists(st.sampled_from(["free-hot-drink", "five-off", "ten-percent", "spend-points"]),
                          unique=True, max_size=3)
tiers = st.sampled_from([Decimal(1), Decimal("1.25"), Decimal("1.5")])
moments = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(UTC))


@given(basket_lines, chosen_rewards, tiers, moments, st.one_of(st.none(), st.integers(2000, 10000)))
def test_the_breakdown_adds_up_and_discounts_never_earn(lines, chosen, tier, at, to_spend) -> None:
    if to_spend is not None and "spend-points" not in chosen:
        to_spend = None
    try:
        priced = price(PROMOTED, lines, chosen, tier, at=at, points_to_spend=to_spend)
    except PricingError:
        return
    assert sum(e.points for e in priced.breakdown) == priced.points_earned
    per_line = [e for e in priced.breakdown if e.rule in ("base", "promotion", "excluded")]
    assert [e.sku for e in per_line] == [line.sku for line in lines]
    assert sum(e.eligible_amount for e in per_line) == priced.eligible_amount
    assert sum(e.discount for e in per_line) == priced.discount_total
    assert all(0 <= e.eligible_amount <= e.amount and e.amount - e.discount == e.eligible_amount
               for e in per_line if e.rule != "excluded")
    assert all(e.eligible_amount == e.discount == e.points == 0 for e in per_line if e.rule == "excluded")
    # Points never come from a discounted amount: the same basket at the discounted prices, with
    # no rewards, earns at least as much (bonuses aside, which rewards can only take away).
    without_bonus = sum(e.points for e in priced.breakdown if e.rule in ("base", "promotion", "tier", "rounding"))
    most = sum((e.eligible_amount * (e.multiplier or 0) for e in per_line), Decimal(0)) * tier / 100
    assert without_bonus <= most
    undiscounted = price(PROMOTED, lines, [], tier, at=at)
    assert priced.points_earned <= undiscounted.points_earned


@pytest.fixture(scope="module", params=BACKENDS)
def service(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    db = fresh_database(request.param, tmp_path_factory.mktemp("promotions"), request)
    with demo_service(db, PROMOTED, api_key="k") as client:
        yield client


CHLOE, ISAAC = "acc_4fbd1e48ddc1", "acc_5d2b95e223ac"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(basket_lines, chosen_rewards, st.sampled_from([CHLOE, ISAAC]), moments,
       st.one_of(st.none(), st.integers(2000, 3000)))
def test_a_quote_and_its_sale_agree(service: TestClient, lines, chosen, account, at, to_spend) -> None:
    if to_spend is not None and "spend-points" not in chosen:
        to_spend = None
    body = {"account_id": account, "currency": "GBP", "rewards": chosen,
            "lines": [dataclasses.asdict(line) for line in lines]}
    if to_spend is not None:
        body["points_to_spend"] = to_spend
    original = sales.service_now
    sales.service_now = lambda: at  # the same moment for both, wherever the windows fall
    try:
        quote = service.post("/v1/quote", json=body)
        if quote.status_code != 200:
            return
        quoted = quote.json()
        tender = [{"method": "card", "amount": quoted["total"]}] if quoted["total"] else []
        sale = service.post("/v1/sales", json={**body, "store_id": "s", "terminal_id": "t", "tender": tender},
                            headers={"Idempotency-Key": str(uuid.uuid4())})
    finally:
        sales.service_now = original
    assert sale.status_code == 201, sale.json()
    answer = sale.json()
    for key in ("subtotal", "discounts", "discount_total", "total", "points_earned", "points_redeemed", "breakdown"):
        assert answer[key] == quoted[key], key
    assert answer["balance"] == quoted["balance_after"]
    assert sum(Decimal(e["points"]) for e in answer["breakdown"]) == answer["points_earned"]
