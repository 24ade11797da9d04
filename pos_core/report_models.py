"""The service's store reports (``GET /v1/reports/sales|enrolments|rewards``) as the till reads
them: typed, counts and money checked as integers (minor units), unknown fields ignored so a newer
service's additions do not break an older till."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from pos_core.money import currency_code

Json = Mapping[str, Any]


def _count(data: Json, key: str, *, required: bool = False) -> int:
    """A whole number from the report (a count, or minor units); absent is 0 unless ``required``."""
    if key not in data and not required:
        return 0
    value = data[key]
    if value is None and not required:
        return 0
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{key} is not an integer")
    return value


def _text(data: Json, key: str) -> str | None:
    value = data.get(key)
    return None if value is None else str(value)


def _day(data: Json, key: str) -> date:
    return date.fromisoformat(str(data[key]))


def _share(value: object) -> Decimal:
    """``participation``: a decimal string ("0.6250"); never a float."""
    try:
        share = Decimal(str(value if value is not None else "0"))
    except InvalidOperation:
        raise ValueError("participation is not a decimal") from None
    if not share.is_finite() or not 0 <= share <= 1:
        raise ValueError("participation is not a share from 0 to 1")
    return share


@dataclass(frozen=True, slots=True)
class SalesRow:
    """One row of the sales report (or its total): the keys not named by ``by`` are None."""

    store_id: str | None
    terminal_id: str | None
    cashier_id: str | None
    cashier_name: str | None
    hour: str | None  # "HH:00", the programme's local time
    day: str | None  # "YYYY-MM-DD"
    sales: int
    member_sales: int
    participation: Decimal
    enrolments: int = 0
    rewards_redeemed: int = 0
    rewards_cost: int = 0
    average_basket_member: int = 0
    average_basket_non_member: int = 0
    referrals: int = 0
    orders_placed: int = 0
    orders_collected: int = 0

    @classmethod
    def from_json(cls, data: Json) -> SalesRow:
        return cls(
            store_id=_text(data, "store_id"), terminal_id=_text(data, "terminal_id"),
            cashier_id=_text(data, "cashier_id"), cashier_name=_text(data, "cashier_name"),
            hour=_text(data, "hour"), day=_text(data, "day"),
            sales=_count(data, "sales", required=True), member_sales=_count(data, "member_sales", required=True),
            participation=_share(data.get("participation")),
            enrolments=_count(data, "enrolments"), rewards_redeemed=_count(data, "rewards_redeemed"),
            rewards_cost=_count(data, "rewards_cost"),
            average_basket_member=_count(data, "average_basket_member"),
            average_basket_non_member=_count(data, "average_basket_non_member"),
            referrals=_count(data, "referrals"), orders_placed=_count(data, "orders_placed"),
            orders_collected=_count(data, "orders_collected"),
        )


@dataclass(frozen=True, slots=True)
class SalesReport:
    """``GET /v1/reports/sales``: the rows by ``by`` and their total, over ``start``..``end``."""

    start: date
    end: date
    timezone: str
    currency: str
    by: str
    rows: tuple[SalesRow, ...]
    total: SalesRow
    document: Json = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: Json) -> SalesReport:
        return cls(
            start=_day(data, "from"), end=_day(data, "to"), timezone=str(data.get("timezone") or "UTC"),
            currency=currency_code(data["currency"]), by=str(data["by"]),
            rows=tuple(SalesRow.from_json(row) for row in data["rows"]),
            total=SalesRow.from_json(data["total"]), document=data,
        )


@dataclass(frozen=True, slots=True)
class EnrolmentRow:
    """A cashier's enrolments (``cashier_id`` None: enrolments nobody signed on made)."""

    store_id: str | None
    cashier_id: str | None
    cashier_name: str | None
    enrolments: int

    @classmethod
    def from_json(cls, data: Json) -> EnrolmentRow:
        return cls(store_id=_text(data, "store_id"), cashier_id=_text(data, "cashier_id"),
                   cashier_name=_text(data, "cashier_name"), enrolments=_count(data, "enrolments", required=True))


@dataclass(frozen=True, slots=True)
class EnrolmentsReport:
    """``GET /v1/reports/enrolments``: the leaderboard, most enrolments first."""

    start: date
    end: date
    rows: tuple[EnrolmentRow, ...]

    @classmethod
    def from_json(cls, data: Json) -> EnrolmentsReport:
        return cls(start=_day(data, "from"), end=_day(data, "to"),
                   rows=tuple(EnrolmentRow.from_json(row) for row in data["rows"]))


@dataclass(frozen=True, slots=True)
class RewardRow:
    reward_id: str
    name: str
    redeemed: int
    cost: int  # minor units: the discounts the reward gave

    @classmethod
    def from_json(cls, data: Json) -> RewardRow:
        return cls(reward_id=str(data["reward_id"]), name=str(data.get("name") or data["reward_id"]),
                   redeemed=_count(data, "redeemed", required=True), cost=_count(data, "cost", required=True))


@dataclass(frozen=True, slots=True)
class RewardsReport:
    """``GET /v1/reports/rewards``: rewards redeemed, most first, and what they cost."""

    start: date
    end: date
    currency: str
    rows: tuple[RewardRow, ...]

    @property
    def redeemed(self) -> int:
        return sum(row.redeemed for row in self.rows)

    @property
    def cost(self) -> int:
        return sum(row.cost for row in self.rows)

    @classmethod
    def from_json(cls, data: Json) -> RewardsReport:
        return cls(start=_day(data, "from"), end=_day(data, "to"), currency=currency_code(data["currency"]),
                   rows=tuple(RewardRow.from_json(row) for row in data["rows"]))
