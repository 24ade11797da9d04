"""What a store manager's figures are, apart from drawing them: the day and the week they cover (in
the programme's time zone), the four reports fetched for them with the manager's id and PIN, the
enrolment leaderboard's order, and each figure in words. The register's manager screen draws these;
a kiosk or another view could show the same.

The first report checks the PIN alone: a wrong PIN stops there, so one wrong PIN counts once
towards the manager's lockout, not once per report.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pos_core.money import format_money
from pos_core.report_models import EnrolmentRow, EnrolmentsReport, RewardsReport, SalesReport
from pos_core.shown_text import printable


@dataclass(frozen=True, slots=True)
class ReportDays:
    """Today and the week so far (Monday to today), as dates in the programme's time zone."""

    today: date
    week_start: date

    @classmethod
    def at(cls, moment: datetime, timezone: str) -> ReportDays:
        try:
            zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            zone = ZoneInfo("UTC")
        today = moment.astimezone(zone).date()
        return cls(today=today, week_start=today - timedelta(days=today.weekday()))


class ReportsSource(Protocol):
    """The loyalty client's report calls (pos_core.loyalty_client)."""

    async def sales_report(self, by: str, start: date, end: date, *, manager_id: str | None = None,
                           manager_pin: str | None = None) -> SalesReport: ...

    async def enrolments_report(self, start: date, end: date, *, manager_id: str | None = None,
                                manager_pin: str | None = None) -> EnrolmentsReport: ...

    async def rewards_report(self, start: date, end: date, *, manager_id: str | None = None,
                             manager_pin: str | None = None) -> RewardsReport: ...


@dataclass(frozen=True, slots=True)
class StoreFigures:
    """A manager's figures for this store: today by hour, the week's enrolments, rewards today and this week."""

    days: ReportDays
    by_hour: SalesReport
    enrolments: EnrolmentsReport
    rewards_today: RewardsReport
    rewards_week: RewardsReport


async def fetch_store_figures(source: ReportsSource, days: ReportDays, manager_id: str, manager_pin: str) -> StoreFigures:
    """The four reports; raises as the client does (the first refusal or failure)."""
    who = {"manager_id": manager_id, "manager_pin": manager_pin}
    by_hour = await source.sales_report("hour", days.today, days.today, **who)
    enrolments, rewards_today, rewards_week = await asyncio.gather(
        source.enrolments_report(days.week_start, days.today, **who),
        source.rewards_report(days.today, days.today, **who),
        source.rewards_report(days.week_start, days.today, **who),
    )
    return StoreFigures(days, by_hour, enrolments, rewards_today, rewards_week)


def percent(share: Decimal) -> str:
    """A share ("0.6250") as a percentage to one place: "62.5%"."""
    return f"{(share * 100).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"


def participation_words(report: SalesReport) -> str:
    total = report.total
    if not total.sales:
        return "No sales yet today."
    return (f"Today {total.member_sales:,} of {total.sales:,} sales were members' ({percent(total.participation)}),"
            f" and {total.enrolments:,} new members joined.")


def hour_words(report: SalesReport) -> list[str]:
    """One line an hour: "10:00  3 of 5 member sales (60.0%)"."""
    return [f"{row.hour or '?'}  {row.member_sales:,} of {row.sales:,} member sales ({percent(row.participation)})"
            for row in report.rows]


@dataclass(frozen=True, slots=True)
class LeaderboardPlace:
    place: int  # 1 for the leader; equal enrolments share a place
    name: str  # shown as text: control characters made visible
    enrolments: int
    here: bool  # the cashier signed on at this till


def cashier_label(row: EnrolmentRow) -> str:
    if row.cashier_id is None:
        return "No cashier signed on"
    return printable(row.cashier_name or row.cashier_id)


def leaderboard(report: EnrolmentsReport, signed_on: str | None) -> list[LeaderboardPlace]:
    """The week's enrolments, leader first (ties by name), with this till's cashier marked."""
    rows = sorted(report.rows, key=lambda row: (-row.enrolments, row.cashier_id is None, cashier_label(row).casefold()))
    places: list[LeaderboardPlace] = []
    for index, row in enumerate(rows):
        place = places[-1].place if places and places[-1].enrolments == row.enrolments else index + 1
        here = signed_on is not None and row.cashier_id == signed_on
        places.append(LeaderboardPlace(place, cashier_label(row), row.enrolments, here))
    return places


def leaderboard_words(places: list[LeaderboardPlace]) -> list[str]:
    if not places:
        return ["No one has been enrolled this week yet."]
    return [f"{place.place:>2}. {place.name}  {place.enrolments:,}" + ("  ◀ signed on here" if place.here else "")
            for place in places]


def rewards_words(today: RewardsReport, week: RewardsReport) -> list[str]:
    """Today's and the week's rewards, count and cost, then each reward of the week."""
    lines = [
        f"Today: {today.redeemed:,} redeemed, cost {format_money(today.cost, today.currency)}",
        f"This week: {week.redeemed:,} redeemed, cost {format_money(week.cost, week.currency)}",
    ]
    lines += [f"  {printable(row.name)}: {row.redeemed:,}, {format_money(row.cost, week.currency)}" for row in week.rows]
    return lines
