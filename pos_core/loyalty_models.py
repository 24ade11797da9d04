"""The Loyalty API v1 documents as the till reads them (see docs/loyalty-api-v1.md).

Parsing is tolerant of fields it does not know, so a platform may add to the contract.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pos_core.money import currency_code
from pos_core.shown_text import printable

Json = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Tier:
    name: str
    multiplier: Decimal
    next_tier: str | None
    points_to_next_tier: int | None

    @classmethod
    def from_json(cls, data: Json) -> Tier:
        return cls(
            name=str(data["name"]),
            multiplier=Decimal(str(data.get("multiplier", "1"))),
            next_tier=data.get("next_tier"),
            points_to_next_tier=_optional_int(data.get("points_to_next_tier")),
        )


@dataclass(frozen=True, slots=True)
class RewardDiscount:
    kind: str  # "amount_off" | "percent_off" | "free_item" | "points_as_money"
    amount: int | None = None
    percent: int | None = None
    cap: int | None = None
    category: str | None = None
    value_per_point: Decimal | None = None  # points_as_money: minor units a point is worth
    min_points: int | None = None
    max_points: int | None = None

    @classmethod
    def from_json(cls, data: Json) -> RewardDiscount:
        return cls(
            kind=str(data["kind"]),
            amount=_optional_int(data.get("amount")),
            percent=_optional_int(data.get("percent")),
            cap=_optional_int(data.get("cap")),
            category=data.get("category"),
            value_per_point=Decimal(str(data["value_per_point"])) if data.get("value_per_point") else None,
            min_points=_optional_int(data.get("min_points")),
            max_points=_optional_int(data.get("max_points")),
        )


@dataclass(frozen=True, slots=True)
class Reward:
    reward_id: str
    name: str
    cost: int
    discount: RewardDiscount
    description: str

    @classmethod
    def from_json(cls, data: Json) -> Reward:
        return cls(
            reward_id=str(data["reward_id"]),
            name=str(data["name"]),
            cost=int(data["cost"]),
            discount=RewardDiscount.from_json(data["discount"]),
            description=str(data.get("description", "")),
        )


@dataclass(frozen=True, slots=True)
class NextReward:
    reward_id: str
    name: str
    cost: int
    points_needed: int

    @classmethod
    def from_json(cls, data: Json | None) -> NextReward | None:
        if not data:
            return None
        return cls(
            reward_id=str(data["reward_id"]),
            name=str(data["name"]),
            cost=int(data["cost"]),
            points_needed=int(data["points_needed"]),
        )


@dataclass(frozen=True, slots=True)
class AccountSummary:
    account_id: str
    display_name: str
    currency: str
    balance: int
    balance_as_of: str | None
    tier: Tier
    next_reward: NextReward | None
    rewards_available: tuple[Reward, ...]
    # Offline: from the till's cache, with points this till has not yet delivered.
    provisional: bool = False
    pending_points: int = 0
    # Proof the customer is at this till (an identify's or enrolment's answer), needed to spend
    # their points: carried on the reservation and on a sale with rewards. Never kept on disk.
    presence: str | None = field(default=None, compare=False, repr=False)
    document: Json = field(default_factory=dict, compare=False, repr=False)
    # The member's own code to give friends (a service from before referrals sends none).
    referral_code: str | None = None
    # Their e-mail address as a till may show it ("j•••@example.com"; the service never sends the
    # full one) and whether they chose to get every receipt by e-mail. None/False from a service
    # without digital receipts.
    email_masked: str | None = None
    email_receipts: bool = False

    @classmethod
    def from_json(cls, data: Json) -> AccountSummary:
        return cls(
            account_id=str(data["account_id"]),
            display_name=str(data["display_name"]),
            currency=currency_code(data.get("currency"), optional=True),
            balance=int(data["balance"]),
            balance_as_of=data.get("balance_as_of"),
            tier=Tier.from_json(data["tier"]),
            next_reward=NextReward.from_json(data.get("next_reward")),
            rewards_available=tuple(Reward.from_json(r) for r in data.get("rewards_available", ())),
            presence=presence if isinstance(presence := data.get("presence"), str) and presence else None,
            document={key: value for key, value in data.items() if key != "presence"},
            referral_code=code if isinstance(code := data.get("referral_code"), str) and code else None,
            # Data, shown on screens and paper: a control character in it is made visible here, once.
            email_masked=printable(masked) if isinstance(masked := data.get("email_masked"), str) and masked else None,
            email_receipts=data.get("email_receipts") is True,
        )

    def reward(self, reward_id: str) -> Reward | None:
        return next((r for r in self.rewards_available if r.reward_id == reward_id), None)


@dataclass(frozen=True, slots=True)
class Discount:
    reward_id: str
    name: str
    amount: int

    @classmethod
    def from_json(cls, data: Json) -> Discount:
        return cls(str(data["reward_id"]), str(data["name"]), int(data["amount"]))


@dataclass(frozen=True, slots=True)
class BreakdownEntry:
    """One reason in a quote's "why these points" (docs/loyalty-api-v1.md, breakdown)."""

    rule: str  # base | promotion | excluded | bonus | tier | threshold | rounding (or newer)
    name: str
    points: Decimal
    sku: str | None = None
    quantity: int | None = None
    amount: int | None = None
    discount: int | None = None
    eligible_amount: int | None = None
    multiplier: Decimal | None = None
    rule_id: str | None = None
    note: str = ""

    @classmethod
    def from_json(cls, data: Json) -> BreakdownEntry:
        multiplier = data.get("multiplier")
        return cls(
            rule=str(data.get("rule", "")),
            name=str(data.get("name", "")),
            points=Decimal(str(data.get("points", "0"))),
            sku=data.get("sku"),
            quantity=_optional_int(data.get("quantity")),
            amount=_optional_int(data.get("amount")),
            discount=_optional_int(data.get("discount")),
            eligible_amount=_optional_int(data.get("eligible_amount")),
            multiplier=None if multiplier is None else Decimal(str(multiplier)),
            rule_id=data.get("rule_id"),
            note=str(data.get("note", "")),
        )


def _breakdown(data: Json) -> tuple[BreakdownEntry, ...]:
    return tuple(BreakdownEntry.from_json(entry) for entry in data.get("breakdown") or ())


@dataclass(frozen=True, slots=True)
class Quote:
    """What a basket would earn and cost with the chosen rewards; nothing has happened yet."""

    currency: str
    subtotal: int
    discounts: tuple[Discount, ...]
    discount_total: int
    total: int
    points_earned: int
    points_redeemed: int
    balance_after: int | None
    # Worked out on the till from the programme's rules while the service could not quote.
    estimated: bool = False
    breakdown: tuple[BreakdownEntry, ...] = ()  # why these points; empty when not given

    @classmethod
    def from_json(cls, data: Json) -> Quote:
        return cls(
            currency=currency_code(data["currency"]),
            subtotal=int(data["subtotal"]),
            discounts=tuple(Discount.from_json(d) for d in data.get("discounts", ())),
            discount_total=int(data.get("discount_total", 0)),
            total=int(data["total"]),
            points_earned=int(data.get("points_earned", 0)),
            points_redeemed=int(data.get("points_redeemed", 0)),
            balance_after=_optional_int(data.get("balance_after")),
            breakdown=_breakdown(data),
        )


@dataclass(frozen=True, slots=True)
class DigitalReceipt:
    """A sale's receipt on the web and by e-mail (``Sale.digital_receipt``): the page's address
    (only when the service has a public URL) and the masked address it was e-mailed to, if it was."""

    url: str | None = None
    emailed_to: str | None = None

    @classmethod
    def from_json(cls, data: Any) -> DigitalReceipt | None:
        if not isinstance(data, Mapping):
            return None  # a service that predates digital receipts
        url, emailed_to = data.get("url"), data.get("emailed_to")
        return cls(
            url=url if isinstance(url, str) and url.startswith(("https://", "http://")) else None,
            emailed_to=printable(emailed_to) if isinstance(emailed_to, str) and emailed_to else None,
        )


@dataclass(frozen=True, slots=True)
class SaleResult:
    """The service's record of a sale: what was credited and the balance after it."""

    sale_id: str
    account_id: str
    currency: str
    subtotal: int
    discounts: tuple[Discount, ...]
    discount_total: int
    total: int
    change: int
    points_earned: int
    points_redeemed: int
    balance: int
    tier: Tier | None
    next_reward: NextReward | None
    created_at: str | None
    # The answer as the service sent it, kept by the till to print the receipt again.
    document: Json = field(default_factory=dict, compare=False, repr=False)
    breakdown: tuple[BreakdownEntry, ...] = ()
    # Points the service recorded but holds for a check before crediting (not in ``balance``); 0
    # from a service without the review.
    points_held_for_review: int = 0
    # The referral bonus this sale (the member's first qualifying one) paid them; in ``balance``.
    referral_points: int = 0
    # Its page and e-mail; None from a service that predates digital receipts.
    digital_receipt: DigitalReceipt | None = None

    @property
    def points_credited(self) -> int:
        return self.points_earned - self.points_held_for_review

    @classmethod
    def from_json(cls, data: Json) -> SaleResult:
        return cls(
            sale_id=str(data["sale_id"]),
            account_id=str(data["account_id"]),
            currency=currency_code(data["currency"]),
            subtotal=int(data["subtotal"]),
            discounts=tuple(Discount.from_json(d) for d in data.get("discounts", ())),
            discount_total=int(data.get("discount_total", 0)),
            total=int(data["total"]),
            change=int(data.get("change", 0)),
            points_earned=int(data["points_earned"]),
            points_redeemed=int(data.get("points_redeemed", 0)),
            balance=int(data["balance"]),
            tier=Tier.from_json(data["tier"]) if data.get("tier") else None,
            next_reward=NextReward.from_json(data.get("next_reward")),
            created_at=data.get("created_at"),
            document=dict(data),
            breakdown=_breakdown(data),
            points_held_for_review=max(0, int(data.get("points_held_for_review") or 0)),
            referral_points=max(0, int(data.get("referral_points") or 0)),
            digital_receipt=DigitalReceipt.from_json(data.get("digital_receipt")),
        )


@dataclass(frozen=True, slots=True)
class TierRule:
    name: str
    threshold: int
    multiplier: Decimal


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """When a rule is open, read in the programme's time zone (see loyalty_service.rule_windows)."""

    weekdays: tuple[int, ...] = ()  # 0 = Monday; empty: every day
    start_minute: int | None = None
    end_minute: int | None = None  # excluded
    from_date: date | None = None
    until_date: date | None = None  # inclusive

    @classmethod
    def from_json(cls, data: Json | None) -> TimeWindow:
        if not data:
            return cls()
        days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        start = end = None
        if data.get("hours"):
            first, _, last = str(data["hours"]).partition("-")
            start, end = (int(t[:2]) * 60 + int(t[3:5]) for t in (first.strip(), last.strip()))
        return cls(
            weekdays=tuple(days.index(d) for d in data.get("weekdays") or () if d in days),
            start_minute=start,
            end_minute=end,
            from_date=date.fromisoformat(data["from_date"]) if data.get("from_date") else None,
            until_date=date.fromisoformat(data["until_date"]) if data.get("until_date") else None,
        )

    def contains(self, local: datetime) -> bool:
        if self.from_date is not None and local.date() < self.from_date:
            return False
        if self.until_date is not None and local.date() > self.until_date:
            return False
        if self.weekdays and local.weekday() not in self.weekdays:
            return False
        if self.start_minute is not None and self.end_minute is not None:
            return self.start_minute <= local.hour * 60 + local.minute < self.end_minute
        return True


@dataclass(frozen=True, slots=True)
class Promotion:
    promotion_id: str
    name: str
    products: frozenset[str]
    categories: frozenset[str]
    multiplier: Decimal | None
    bonus_points: int | None
    window: TimeWindow
    when: str = ""

    @classmethod
    def from_json(cls, data: Json) -> Promotion:
        multiplier = data.get("multiplier")
        return cls(
            promotion_id=str(data["promotion_id"]),
            name=str(data.get("name", "")),
            products=frozenset(data.get("products") or ()),
            categories=frozenset(data.get("categories") or ()),
            multiplier=None if multiplier is None else Decimal(str(multiplier)),
            bonus_points=_optional_int(data.get("bonus_points")),
            window=TimeWindow.from_json(data.get("window")),
            when=str(data.get("when", "")),
        )


@dataclass(frozen=True, slots=True)
class ThresholdBonus:
    bonus_id: str
    name: str
    min_spend: int
    points: int
    window: TimeWindow

    @classmethod
    def from_json(cls, data: Json) -> ThresholdBonus:
        return cls(str(data["bonus_id"]), str(data.get("name", "")), int(data["min_spend"]), int(data["points"]),
                   TimeWindow.from_json(data.get("window")))


@dataclass(frozen=True, slots=True)
class Program:
    """The earning rules, tiers and rewards (``GET /v1/program``)."""

    currency: str
    exponent: int
    region: str
    terms_version: str
    privacy_notice: str
    points_per_unit: int
    excluded_categories: frozenset[str]
    excluded_products: frozenset[str]
    tiers: tuple[TierRule, ...]
    rewards: tuple[Reward, ...]
    document: Json = field(default_factory=dict, compare=False, repr=False)
    # Additions (docs/loyalty-api-v1.md): absent from an older platform's programme, so defaulted.
    timezone: str = "UTC"
    promotions: tuple[Promotion, ...] = ()
    threshold_bonuses: tuple[ThresholdBonus, ...] = ()
    # A return later than return_days after the sale, or refunding more than return_pin_above,
    # needs a manager's PIN; None: the platform does not say (the service decides alone).
    return_days: int | None = None
    return_pin_above: int | None = None
    max_sale_amount: int | None = None  # minor units: the most a sale's subtotal may be; None: not said

    def local_time(self, moment: datetime) -> datetime:
        """``moment`` in the programme's time zone (UTC when this till does not know the zone)."""
        try:
            return moment.astimezone(ZoneInfo(self.timezone))
        except (ZoneInfoNotFoundError, ValueError):
            return moment.astimezone(timezone.utc)

    @classmethod
    def from_json(cls, data: Json) -> Program:
        earning = data.get("earning", {})
        return cls(
            currency=currency_code(data["currency"]),
            exponent=int(data.get("exponent", 2)),
            region=str(data.get("region", "")),
            terms_version=str(data["terms_version"]),
            privacy_notice=str(data.get("privacy_notice", "")),
            points_per_unit=int(earning.get("points_per_unit", 1)),
            excluded_categories=frozenset(earning.get("excluded_categories", ())),
            excluded_products=frozenset(earning.get("excluded_products", ())),
            tiers=tuple(
                TierRule(str(t["name"]), int(t["threshold"]), Decimal(str(t["multiplier"])))
                for t in data.get("tiers", ())
            ),
            rewards=tuple(Reward.from_json(r) for r in data.get("rewards", ())),
            document=dict(data),
            timezone=str(data.get("timezone") or "UTC"),
            promotions=tuple(Promotion.from_json(p) for p in data.get("promotions") or ()),
            threshold_bonuses=tuple(ThresholdBonus.from_json(b) for b in data.get("threshold_bonuses") or ()),
            return_days=_optional_int(data.get("return_days")),
            return_pin_above=_optional_int(data.get("return_pin_above")),
            max_sale_amount=_optional_int((data.get("limits") or {}).get("max_sale_amount")),
        )


@dataclass(frozen=True, slots=True)
class Reservation:
    """Points held for rewards a till applied (``POST /v1/reservations``); the sale redeems them."""

    reservation_id: str
    account_id: str
    rewards: tuple[str, ...]
    points_held: int
    status: str  # held, released, expired or redeemed
    expires_at: str | None

    @classmethod
    def from_json(cls, data: Json) -> Reservation:
        return cls(
            reservation_id=str(data["reservation_id"]),
            account_id=str(data["account_id"]),
            rewards=tuple(str(r) for r in data.get("rewards", ())),
            points_held=int(data.get("points_held", 0)),
            status=str(data.get("status", "held")),
            expires_at=data.get("expires_at"),
        )


@dataclass(frozen=True, slots=True)
class ReturnedLine:
    line: int  # the index of the line in the sale's lines
    sku: str
    name: str
    quantity: int
    refund_amount: int

    @classmethod
    def from_json(cls, data: Json) -> ReturnedLine:
        return cls(int(data["line"]), str(data["sku"]), str(data.get("name", "")), int(data["quantity"]),
                   int(data.get("refund_amount", 0)))


@dataclass(frozen=True, slots=True)
class TenderRefund:
    method: str  # "card" or "cash"
    amount: int

    @classmethod
    def from_json(cls, data: Json) -> TenderRefund:
        return cls(str(data["method"]), int(data["amount"]))


@dataclass(frozen=True, slots=True)
class ReturnResult:
    """The service's record of a return (``POST /v1/sales/{sale_id}/returns``), or the till's own
    estimate of it (``estimated``) while the service has not confirmed it."""

    return_id: str
    sale_id: str
    account_id: str
    currency: str
    lines: tuple[ReturnedLine, ...]
    refund_amount: int
    points_reversed: int
    points_refunded: int
    points_debt: int
    balance: int | None
    document: Json = field(default_factory=dict, compare=False, repr=False)
    # Where the refund goes, card first (absent from an older platform: all of it in cash).
    refunds: tuple[TenderRefund, ...] = ()
    estimated: bool = False
    # The referral bonus the sale had paid this member, taken back with its full return.
    referral_points_reversed: int = 0

    @classmethod
    def from_json(cls, data: Json) -> ReturnResult:
        return cls(
            return_id=str(data["return_id"]),
            sale_id=str(data["sale_id"]),
            account_id=str(data["account_id"]),
            currency=currency_code(data["currency"]),
            lines=tuple(ReturnedLine.from_json(line) for line in data.get("lines", ())),
            refund_amount=int(data["refund_amount"]),
            points_reversed=int(data.get("points_reversed", 0)),
            points_refunded=int(data.get("points_refunded", 0)),
            points_debt=int(data.get("points_debt", 0)),
            balance=int(data["balance"]),
            document=dict(data),
            referral_points_reversed=max(0, int(data.get("referral_points_reversed") or 0)),
            refunds=_refunds(data),
        )


def _refunds(data: Json) -> tuple[TenderRefund, ...]:
    if "refunds" in data:
        return tuple(TenderRefund.from_json(r) for r in data["refunds"] or ())
    amount = int(data.get("refund_amount", 0))
    return (TenderRefund("cash", amount),) if amount else ()


@dataclass(frozen=True, slots=True)
class ReturnableLine:
    """A line of a recorded sale, with how many units came back already."""

    line: int
    sku: str
    name: str
    quantity: int
    unit_price: int
    returned: int
    paid: int | None = None  # the line's total after its share of discounts, when known

    @property
    def left(self) -> int:
        return self.quantity - self.returned


def returnable_lines(sale: Json, returns: Json) -> tuple[ReturnableLine, ...]:
    """The lines of a sale document (``GET /v1/sales/{id}``) with ``GET /v1/sales/{id}/returns``'s counts."""
    returned = {int(entry["line"]): int(entry.get("returned", 0)) for entry in returns.get("lines", ())}
    paid = {int(entry["line"]): int(entry["paid"]) for entry in returns.get("lines", ()) if "paid" in entry}
    return tuple(
        ReturnableLine(index, str(line["sku"]), str(line.get("name", "")), int(line["quantity"]),
                       int(line.get("unit_price", 0)), returned.get(index, 0), paid.get(index))
        for index, line in enumerate(sale.get("lines", ()))
    )


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)
