"""The Loyalty API v1 documents as the till reads them (see docs/loyalty-api-v1.md).

Parsing is tolerant of fields it does not know, so a platform may add to the contract.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

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
    kind: str  # "amount_off" | "percent_off" | "free_item"
    amount: int | None = None
    percent: int | None = None
    cap: int | None = None
    category: str | None = None

    @classmethod
    def from_json(cls, data: Json) -> RewardDiscount:
        return cls(
            kind=str(data["kind"]),
            amount=_optional_int(data.get("amount")),
            percent=_optional_int(data.get("percent")),
            cap=_optional_int(data.get("cap")),
            category=data.get("category"),
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
    document: Json = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: Json) -> AccountSummary:
        return cls(
            account_id=str(data["account_id"]),
            display_name=str(data["display_name"]),
            currency=str(data.get("currency", "")),
            balance=int(data["balance"]),
            balance_as_of=data.get("balance_as_of"),
            tier=Tier.from_json(data["tier"]),
            next_reward=NextReward.from_json(data.get("next_reward")),
            rewards_available=tuple(Reward.from_json(r) for r in data.get("rewards_available", ())),
            document=dict(data),
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

    @classmethod
    def from_json(cls, data: Json) -> Quote:
        return cls(
            currency=str(data["currency"]),
            subtotal=int(data["subtotal"]),
            discounts=tuple(Discount.from_json(d) for d in data.get("discounts", ())),
            discount_total=int(data.get("discount_total", 0)),
            total=int(data["total"]),
            points_earned=int(data.get("points_earned", 0)),
            points_redeemed=int(data.get("points_redeemed", 0)),
            balance_after=_optional_int(data.get("balance_after")),
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

    @classmethod
    def from_json(cls, data: Json) -> SaleResult:
        return cls(
            sale_id=str(data["sale_id"]),
            account_id=str(data["account_id"]),
            currency=str(data["currency"]),
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
        )


@dataclass(frozen=True, slots=True)
class TierRule:
    name: str
    threshold: int
    multiplier: Decimal


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

    @classmethod
    def from_json(cls, data: Json) -> Program:
        earning = data.get("earning", {})
        return cls(
            currency=str(data["currency"]),
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
        )


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)
