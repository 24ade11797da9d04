"""The manager's figures apart from drawing them (pos_core.store_figures, pos_core.report_models):
the day and week in the programme's time zone, the leaderboard's order, the reports read as the
contract gives them (unknown fields ignored, money and counts integers), and each figure in words."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from pos_core.report_models import EnrolmentsReport, RewardsReport, SalesReport
from pos_core.store_figures import (
    ReportDays,
    leaderboard,
    leaderboard_words,
    participation_words,
    percent,
    rewards_words,
)


def row(**given: object) -> dict[str, object]:
    keys = ("store_id", "terminal_id", "cashier_id", "cashier_name", "hour", "day")
    return {key: None for key in keys} | {"sales": 0, "member_sales": 0, "participation": "0.0000"} | given


def test_the_day_and_week_are_the_programmes_not_utcs() -> None:
    # Sunday 23:30 UTC is already Monday in Auckland: a new week there, the old one in London.
    moment = datetime(2026, 11, 22, 23, 30, tzinfo=UTC)
    assert ReportDays.at(moment, "Pacific/Auckland") == ReportDays(date(2026, 11, 23), date(2026, 11, 23))
    assert ReportDays.at(moment, "Europe/London") == ReportDays(date(2026, 11, 22), date(2026, 11, 16))
    assert ReportDays.at(moment, "Not/AZone") == ReportDays(date(2026, 11, 22), date(2026, 11, 16))


def test_the_leaderboard_puts_the_leader_first_shares_places_and_marks_this_tills_cashier() -> None:
    report = EnrolmentsReport.from_json({"from": "2026-11-16", "to": "2026-11-22", "rows": [
        {"store_id": "s", "cashier_id": None, "cashier_name": None, "enrolments": 9},
        {"store_id": "s", "cashier_id": "zed", "cashier_name": "Zed", "enrolments": 3},
        {"store_id": "s", "cashier_id": "amy", "cashier_name": "Amy", "enrolments": 3},
        {"store_id": "s", "cashier_id": "bo", "cashier_name": "Bo\x1b[2J", "enrolments": 5, "new_field": 1},
    ]})
    places = leaderboard(report, signed_on="zed")
    assert [(p.place, p.name, p.enrolments, p.here) for p in places] == [
        (1, "No cashier signed on", 9, False), (2, "Bo␛[2J", 5, False), (3, "Amy", 3, False), (3, "Zed", 3, True)]
    assert leaderboard_words(places)[3] == " 3. Zed  3  ◀ signed on here"
    assert leaderboard_words([]) == ["No one has been enrolled this week yet."]


def test_the_sales_report_reads_as_the_contract_gives_it() -> None:
    report = SalesReport.from_json({
        "from": "2026-11-22", "to": "2026-11-22", "timezone": "Europe/London", "currency": "GBP", "by": "hour",
        "rows": [row(hour="10:00", sales=8, member_sales=5, participation="0.6250", something_new=[1])],
        "total": row(sales=8, member_sales=5, participation="0.6250", enrolments=2),
    })
    assert report.rows[0].participation == Decimal("0.6250") and report.total.enrolments == 2
    assert participation_words(report) == "Today 5 of 8 sales were members' (62.5%), and 2 new members joined."
    assert percent(Decimal("0.0005")) == "0.1%"  # half up, as money is


@pytest.mark.parametrize("bad", [{"sales": 1.5}, {"sales": True}, {"participation": "1.5"}, {"participation": "NaN"}])
def test_a_report_that_is_not_the_contract_is_refused(bad: dict[str, object]) -> None:
    document = {"from": "2026-11-22", "to": "2026-11-22", "currency": "GBP", "by": "hour", "rows": [],
                "total": row(**bad)}
    with pytest.raises((TypeError, ValueError)):
        SalesReport.from_json(document)


def test_rewards_are_counted_and_costed_in_the_stores_money() -> None:
    def rewards(*rows: tuple[str, int, int]) -> RewardsReport:
        return RewardsReport.from_json({"from": "2026-11-16", "to": "2026-11-22", "currency": "GBP", "rows": [
            {"reward_id": rid, "name": f"[b]{rid}[/b]", "redeemed": n, "cost": cost} for rid, n, cost in rows]})

    today, week = rewards(("five-off", 1, 500)), rewards(("five-off", 3, 1500), ("free-hot-drink", 2, 640))
    assert (week.redeemed, week.cost) == (5, 2140)
    assert rewards_words(today, week) == [
        "Today: 1 redeemed, cost £5.00", "This week: 5 redeemed, cost £21.40",
        "  [b]five-off[/b]: 3, £15.00", "  [b]free-hot-drink[/b]: 2, £6.40"]
