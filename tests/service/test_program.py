"""The programme file: the demo programme as shipped, and files that must be refused."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from loyalty_service.program import DEMO_PROGRAM, ProgramError, load_program


def test_the_demo_programme() -> None:
    program = load_program()
    assert (program.currency, program.exponent, program.region, program.terms_version) == ("GBP", 2, "GB", "2026-01")
    assert program.points_per_unit == 1
    assert program.excluded_categories == ("tobacco", "gift_cards")
    assert [(t.name, t.threshold, t.multiplier) for t in program.tiers] == [
        ("Bronze", 0, Decimal("1")), ("Silver", 1000, Decimal("1.25")), ("Gold", 3000, Decimal("1.5"))]
    assert [(r.reward_id, r.cost, r.kind) for r in program.rewards] == [
        ("free-hot-drink", 150, "free_item"), ("five-off", 500, "amount_off"), ("ten-percent", 1000, "percent_off"),
        ("spend-points", 2000, "points_as_money")]
    assert program.reward("ten-percent").cap == 2000  # type: ignore[union-attr]
    assert program.privacy_notice.count(".") in (2, 3)
    assert (program.return_days, program.return_pin_above) == (30, 5000)
    assert program.keep_sale_lines_months == 24
    assert program.click_and_collect_points == "at_pickup"


def test_sale_lines_are_kept_24_months_unless_the_programme_says(tmp_path: Path) -> None:
    assert load_program(changed(tmp_path, "keep_sale_lines_months = 24", "# left out")).keep_sale_lines_months == 24
    assert load_program(changed(tmp_path, "keep_sale_lines_months = 24", "keep_sale_lines_months = 0")
                        ).keep_sale_lines_months == 0


@pytest.mark.parametrize(("lifetime", "tier", "following"), [
    (0, "Bronze", "Silver"), (999, "Bronze", "Silver"), (1000, "Silver", "Gold"), (2999, "Silver", "Gold"),
    (3000, "Gold", None), (10**9, "Gold", None)])
def test_tier_for_lifetime_points(lifetime: int, tier: str, following: str | None) -> None:
    current, upper = load_program().tier_for(lifetime)
    assert current.name == tier
    assert (upper.name if upper else None) == following


def changed(tmp_path: Path, old: str, new: str) -> Path:
    text = DEMO_PROGRAM.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "program.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(("old", "new", "message"), [
    ('region = "GB"', 'region = "GB"\nregoin = "GB"', "unknown key regoin in the programme"),
    ("points_per_unit = 1", "points_per_unit = 1\nround = 1", "unknown key round in [earning]"),
    ('threshold = 1000', 'threshold = 1000\nbonus = 5', "unknown key bonus in tier 2"),
    ('cap = 2000', 'cap = 2000\nlimit = 1', "unknown key limit in reward 3"),
    ('multiplier = "1.25"', "multiplier = 1.25", 'write the multiplier as a string'),
    ('multiplier = "1.25"', 'multiplier = "-1"', "positive"),
    ("cost = 500", "cost = 500.5", "not a whole number"),
    ('id = "five-off"', 'id = "free-hot-drink"', "used twice"),
    ('kind = "amount_off"', 'kind = "bogof"', "kind must be one of"),
    ("amount = 500\n", "", "needs its amount"),
    ('terms_version = "2026-01"\n', "", "missing key 'terms_version'"),
    ("threshold = 0", "threshold = 10", "threshold 0"),
    ('currency = "GBP"', 'currency = "GBP', "program.toml"),
    ("keep_sale_lines_months = 24", "keep_sale_lines_months = -1", "keep_sale_lines_months must not be negative"),
    ("keep_sale_lines_months = 24", "keep_sale_lines_months = 1.5", "not a whole number"),
    ("return_days = 30 ", "return_days = -1 ", "return_days must not be negative"),
    ("return_pin_above = 5000 ", 'return_pin_above = "50" ', "is not a whole number"),
    ('click_and_collect_points = "at_pickup"', 'click_and_collect_points = "both"',
     "click_and_collect_points must be one of 'at_order', 'at_pickup'"),
])
def test_bad_files_are_refused_with_the_reason(tmp_path: Path, old: str, new: str, message: str) -> None:
    with pytest.raises(ProgramError) as error:
        load_program(changed(tmp_path, old, new))
    assert message in str(error.value)
    assert str(tmp_path / "program.toml") in str(error.value)
