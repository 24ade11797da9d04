"""What managers see: the figures of ``GET /v1/reports/...`` and ``loyalty-service report``.

One query per figure family (members' sales, anonymous sales, enrolments, referral bonuses, orders
placed, orders collected, rewards), each summed in SQL over an indexed time range and grouped by
what the report is ``by``; Python only adds the families together and turns totals into the exact
rates and averages (Decimal, rounded half-up). The same SQL runs on SQLite and PostgreSQL, but for
reading a sale's JSON answer (``_JSON``): a sale's total, discount total and number of rewards are
columns of ``sales`` (schema.py), so the answer is read only for a reward's breakdown and for the
sales recorded before those columns (NULL there).

Hours and days are the programme's ``timezone``: a period of local dates becomes a UTC range of
``created_at`` text, and for ``by=hour``/``day`` the rows are grouped in SQL by UTC quarter-hour
(every time zone's offset is a whole number of quarter-hours), each quarter then placed in its
local hour and day. Sales are counted as made: a return is not netted from them. An online
order's sale (orders.py) is an order placed or collected, not a till's sale.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from loyalty_service.clock import rfc3339, service_now
from loyalty_service.database import Connection
from loyalty_service.errors import ApiError
from loyalty_service.program import Program
from loyalty_service.schemas import ErrorDetail

By = Literal["store", "till", "cashier", "hour", "day"]
BYS: tuple[str, ...] = ("store", "till", "cashier", "hour", "day")
MAX_DAYS = 366
_QUARTER = timedelta(minutes=15)

# Reading a sale's answer (TEXT holding JSON) in each dialect.
_JSON = {
    "sqlite": {
        "total": "json_extract(s.answer, '$.total')",
        "discount_total": "json_extract(s.answer, '$.discount_total')",
        "discounts": "json_array_length(s.answer, '$.discounts')",
        "each_discount": "json_each(s.answer, '$.discounts') d",
        "discount_field": "json_extract(d.value, '$.{name}')",
    },
    "postgresql": {
        "total": "CAST(CAST(s.answer AS jsonb) ->> 'total' AS BIGINT)",
        "discount_total": "CAST(CAST(s.answer AS jsonb) ->> 'discount_total' AS BIGINT)",
        "discounts": "jsonb_array_length(CAST(s.answer AS jsonb) -> 'discounts')",
        "each_discount": "LATERAL jsonb_array_elements(CAST(s.answer AS jsonb) -> 'discounts') d(value)",
        "discount_field": "(d.value ->> '{name}')",
    },
}


# ---- the period -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Period:
    """Local dates ``first``..``last`` (inclusive) and the UTC ``created_at`` range they are."""

    first: date
    last: date
    start: str  # inclusive, RFC 3339 UTC
    end: str  # exclusive
    zone: ZoneInfo


def period(program: Program, first: str | None, last: str | None, today: datetime | None = None) -> Period:
    """The period of ``from``/``to`` (ISO dates, default today where the programme is); 422 when
    a date is malformed, ``to`` is before ``from`` or the span is over MAX_DAYS days."""
    zone = ZoneInfo(program.timezone)
    local_today = (today or service_now()).astimezone(zone).date()
    start_day, end_day = _day(first, "from", local_today), _day(last, "to", local_today)
    if end_day < start_day:
        raise ApiError(422, "invalid_period", "The period's end (to) is before its start (from).",
                       [ErrorDetail(field="to", problem="before from")])
    if (end_day - start_day).days + 1 > MAX_DAYS:
        raise ApiError(422, "invalid_period", f"A report covers at most {MAX_DAYS} days.",
                       [ErrorDetail(field="to", problem=f"more than {MAX_DAYS} days after from")])
    return Period(start_day, end_day, _utc_midnight(start_day, zone), _utc_midnight(end_day + timedelta(days=1), zone),
                  zone)


def _day(text: str | None, name: str, default: date) -> date:
    if text is None:
        return default
    try:
        if len(text) != 10:
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise ApiError(422, "invalid_request", f"{name} is a date: YYYY-MM-DD.",
                       [ErrorDetail(field=name, problem="not a YYYY-MM-DD date")]) from None


def _utc_midnight(day: date, zone: ZoneInfo) -> str:
    return rfc3339(datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC))


# ---- the answers ----------------------------------------------------------------------------------


class SalesRow(BaseModel):
    store_id: str | None = None
    terminal_id: str | None = None
    cashier_id: str | None = None
    cashier_name: str | None = None
    hour: str | None = None
    day: str | None = None
    sales: int = 0
    member_sales: int = 0
    participation: str = "0.0000"
    enrolments: int = 0
    rewards_redeemed: int = 0
    rewards_cost: int = 0
    average_basket_member: int = 0
    average_basket_non_member: int = 0
    referrals: int = 0
    orders_placed: int = 0
    orders_collected: int = 0


class _Report(BaseModel):
    """A report over a period: ``from_`` is the contract's ``from`` (a Python keyword)."""

    from_: str = Field(serialization_alias="from")
    to: str

    def contract(self) -> dict[str, Any]:
        """The answer as the contract spells it."""
        return self.model_dump(by_alias=True)


class SalesReport(_Report):
    timezone: str
    currency: str
    by: By
    rows: list[SalesRow]
    total: SalesRow


class EnrolmentRow(BaseModel):
    store_id: str | None
    cashier_id: str | None
    cashier_name: str | None
    enrolments: int


class EnrolmentsReport(_Report):
    rows: list[EnrolmentRow]


class RewardRow(BaseModel):
    reward_id: str
    name: str
    redeemed: int
    cost: int


class RewardsReport(_Report):
    currency: str
    rows: list[RewardRow]


def participation(member_sales: int, sales: int) -> str:
    """member_sales / sales to 4 places, half-up; "0.0000" with no sales."""
    if not sales:
        return "0.0000"
    return str((Decimal(member_sales) / Decimal(sales)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


def average(total: int, count: int) -> int:
    """total / count in whole minor units, half-up; 0 when there is nothing to average."""
    if not count:
        return 0
    return int((Decimal(total) / Decimal(count)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


# ---- the sales report -----------------------------------------------------------------------------


@dataclass(slots=True)
class _Sums:
    """One row's additive figures: counts and sums, from which rates and averages are made."""

    member_sales: int = 0
    member_total: int = 0
    anonymous_sales: int = 0
    anonymous_total: int = 0
    enrolments: int = 0
    rewards_redeemed: int = 0
    rewards_cost: int = 0
    referrals: int = 0
    orders_placed: int = 0
    orders_collected: int = 0

    def add(self, values: dict[str, int]) -> None:
        for name, value in values.items():
            setattr(self, name, getattr(self, name) + int(value or 0))

    def merged(self, other: _Sums) -> None:
        self.add({f.name: getattr(other, f.name) for f in fields(other)})

    def any(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))

    def row(self, **keys: str | None) -> SalesRow:
        sales = self.member_sales + self.anonymous_sales
        return SalesRow(
            **keys, sales=sales, member_sales=self.member_sales, participation=participation(self.member_sales, sales),
            enrolments=self.enrolments, rewards_redeemed=self.rewards_redeemed, rewards_cost=self.rewards_cost,
            average_basket_member=average(self.member_total, self.member_sales),
            average_basket_non_member=average(self.anonymous_total, self.anonymous_sales),
            referrals=self.referrals, orders_placed=self.orders_placed, orders_collected=self.orders_collected,
        )


@dataclass(frozen=True, slots=True)
class _Family:
    """One figure family's query: its table (with joins), its time, store, till and cashier
    columns (None: it has none), and the sums it gives (SQL expressions by _Sums field)."""

    source: str
    moment: str
    store: str
    terminal: str | None
    cashier: str | None
    sums: dict[str, str]
    where: str = ""


def _families(dialect: str) -> list[_Family]:
    json = _JSON[dialect]
    not_an_order = " AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.sale_id = s.sale_id)"
    return [
        # A sale's own columns; its answer read only for a sale recorded before them (NULL there).
        _Family("sales s", "s.created_at", "s.store_id", "s.terminal_id", "s.cashier_id", {
            "member_sales": "COUNT(*)", "member_total": f"SUM(COALESCE(s.total, {json['total']}))",
            "rewards_redeemed": f"SUM(COALESCE(s.rewards_redeemed, {json['discounts']}))",
            "rewards_cost": f"SUM(COALESCE(s.discount_total, {json['discount_total']}))",
        }, not_an_order),
        _Family("anonymous_sales s", "s.created_at", "s.store_id", "s.terminal_id", "s.cashier_id",
                {"anonymous_sales": "COUNT(*)", "anonymous_total": "SUM(s.total)"}),
        # Where a member enrolled is on their first consent (accounts.py writes it with the account).
        _Family("accounts a LEFT JOIN consents c ON c.id = (SELECT MIN(f.id) FROM consents f"
                " WHERE f.account_id = a.account_id)", "a.created_at", "c.store_id", "c.terminal_id", "a.enrolled_by",
                {"enrolments": "COUNT(*)"}),
        # A referral bonus counts where the qualifying purchase that paid it was made.
        _Family("referrals r JOIN sales s ON s.sale_id = r.sale_id", "r.paid_at", "s.store_id", "s.terminal_id",
                "s.cashier_id", {"referrals": "COUNT(*)"}),
        _Family("orders o", "o.created_at", "o.store_id", None, None, {"orders_placed": "COUNT(*)"}),
        _Family("orders o", "o.collected_at", "o.store_id", "o.collected_terminal_id", None,
                {"orders_collected": "COUNT(*)"}),
    ]


def _keys(by: str, family: _Family) -> list[tuple[str, str]]:
    """(name, SQL expression) of the columns a family is grouped by for ``by``."""
    null = "NULL"
    if by == "store":
        return [("store_id", family.store)]
    if by == "till":
        return [("store_id", family.store), ("terminal_id", family.terminal or null)]
    if by == "cashier":
        return [("cashier_id", family.cashier or null)]
    # The UTC quarter-hour: 'YYYY-MM-DDTHH' and the quarter (0-3), placed in local time afterwards.
    return [("utc_hour", f"substr({family.moment}, 1, 13)"),
            ("quarter", f"CAST(substr({family.moment}, 15, 2) AS INTEGER) / 15")]


def in_period(moment: str, store: str, span: Period, store_id: str | None) -> tuple[str, list[Any]]:
    """The WHERE condition and its parameters for rows whose ``moment`` column falls in ``span``,
    of the store ``store_id`` (its ``store`` column) or, when None, of every store."""
    where = f"{moment} >= ? AND {moment} < ?"
    params: list[Any] = [span.start, span.end]
    if store_id is not None:
        where += f" AND {store} = ?"
        params.append(store_id)
    return where, params


def _summed(conn: Connection, family: _Family, by: str, span: Period, store_id: str | None) -> list[dict[str, Any]]:
    keys = _keys(by, family)
    where, params = in_period(family.moment, family.store, span, store_id)
    where += family.where
    columns = ", ".join([*(f"{sql} AS {name}" for name, sql in keys),
                         *(f"{sql} AS {name}" for name, sql in family.sums.items())])
    group = ", ".join(sql for _, sql in keys if sql != "NULL")  # PostgreSQL groups by no constant
    grouped = f" GROUP BY {group}" if group else ""
    found = conn.execute(f"SELECT {columns} FROM {family.source} WHERE {where}{grouped}", params)
    names = [name for name, _ in keys] + list(family.sums)
    return [dict(zip(names, row)) for row in found]


def _local(utc_hour: str, quarter: int, zone: ZoneInfo) -> datetime:
    start = datetime.fromisoformat(utc_hour + ":00:00+00:00") + quarter * _QUARTER
    return start.astimezone(zone)


def sales_report(conn: Connection, program: Program, by: str, span: Period, store_id: str | None) -> SalesReport:
    """The sales report ``by`` store, till, cashier, hour or day, over ``span``, of one store or all (None)."""
    groups: dict[tuple[str | None, ...], _Sums] = {}
    local: dict[tuple[str, int], tuple[str | None, ...]] = {}  # a UTC quarter's local hour or day, worked out once
    for family in _families(conn.dialect):
        for found in _summed(conn, family, by, span, store_id):
            sums = {name: found[name] for name in family.sums}
            if by in ("hour", "day"):
                quarter = (found["utc_hour"], int(found["quarter"]))
                key: tuple[str | None, ...] | None = local.get(quarter)
                if key is None:
                    moment = _local(quarter[0], quarter[1], span.zone)
                    key = local[quarter] = (moment.strftime("%H:00") if by == "hour" else moment.date().isoformat(),)
            elif by == "till":
                key = (found["store_id"], found["terminal_id"])
            else:
                key = (found["store_id" if by == "store" else "cashier_id"],)
            groups.setdefault(key, _Sums()).add(sums)
    total = _Sums()
    for sums in groups.values():
        total.merged(sums)
    names = _cashier_names(conn, [k[0] for k in groups]) if by == "cashier" else {}
    rows = []
    for key in sorted(groups, key=lambda k: tuple((v is None, v or "") for v in k)):
        sums = groups[key]
        if by == "hour" and not (sums.member_sales or sums.anonymous_sales or sums.enrolments):
            continue  # the contract's hours: those with a sale or an enrolment
        if not sums.any():
            continue
        rows.append(sums.row(**_row_keys(by, key, names)))
    return SalesReport(from_=span.first.isoformat(), to=span.last.isoformat(), timezone=program.timezone,
                       currency=program.currency, by=by, rows=rows, total=total.row())  # type: ignore[arg-type]


def _row_keys(by: str, key: tuple[str | None, ...], names: dict[str, str]) -> dict[str, str | None]:
    if by == "store":
        return {"store_id": key[0]}
    if by == "till":
        return {"store_id": key[0], "terminal_id": key[1]}
    if by == "cashier":
        return {"cashier_id": key[0], "cashier_name": names.get(key[0] or "")}
    return {by: key[0]}


def _cashier_names(conn: Connection, staff_ids: Iterable[str | None]) -> dict[str, str]:
    wanted = sorted({s for s in staff_ids if s})
    if not wanted:
        return {}
    marks = ", ".join("?" for _ in wanted)
    found = conn.execute(f"SELECT staff_id, name FROM staff WHERE staff_id IN ({marks})", wanted)
    return {row["staff_id"]: row["name"] for row in found}


# ---- the enrolment leaderboard and the rewards ------------------------------------------------------


def enrolments_report(conn: Connection, span: Period, store_id: str | None) -> EnrolmentsReport:
    """Enrolments per store and cashier, most first (the cashiers' leaderboard)."""
    where, params = in_period("a.created_at", "c.store_id", span, store_id)
    found = conn.execute(
        "SELECT c.store_id AS store_id, a.enrolled_by AS cashier_id, COUNT(*) AS enrolments FROM accounts a"
        " LEFT JOIN consents c ON c.id = (SELECT MIN(f.id) FROM consents f WHERE f.account_id = a.account_id)"
        f" WHERE {where} GROUP BY c.store_id, a.enrolled_by", params,
    ).fetchall()
    names = _cashier_names(conn, [row["cashier_id"] for row in found])
    rows = [EnrolmentRow(store_id=row["store_id"], cashier_id=row["cashier_id"],
                         cashier_name=names.get(row["cashier_id"] or ""), enrolments=int(row["enrolments"]))
            for row in found]
    rows.sort(key=lambda r: (-r.enrolments, r.cashier_id is None, r.cashier_id or "", r.store_id or ""))
    return EnrolmentsReport(from_=span.first.isoformat(), to=span.last.isoformat(), rows=rows)


def rewards_report(conn: Connection, program: Program, span: Period, store_id: str | None) -> RewardsReport:
    """Each reward redeemed in members' sales: how often, and the discounts it gave (minor units)."""
    json = _JSON[conn.dialect]
    reward, amount, name = (json["discount_field"].format(name=n) for n in ("reward_id", "amount", "name"))
    where, params = in_period("s.created_at", "s.store_id", span, store_id)
    found = conn.execute(
        f"SELECT {reward} AS reward_id, MAX({name}) AS name, COUNT(*) AS redeemed, SUM(CAST({amount} AS BIGINT)) AS cost"
        f" FROM sales s CROSS JOIN {json['each_discount']}"
        f" WHERE {where} AND COALESCE(s.rewards_redeemed, 1) > 0"  # only sales with a reward are read
        f" AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.sale_id = s.sale_id) GROUP BY {reward}",
        params,
    ).fetchall()
    current = {r.reward_id: r.name for r in program.rewards}
    rows = [RewardRow(reward_id=row["reward_id"], name=current.get(row["reward_id"], row["name"] or row["reward_id"]),
                      redeemed=int(row["redeemed"]), cost=int(row["cost"] or 0)) for row in found]
    rows.sort(key=lambda r: (-r.redeemed, r.reward_id))
    return RewardsReport(from_=span.first.isoformat(), to=span.last.isoformat(), currency=program.currency, rows=rows)

