"""The loyalty programme: earning rate, excluded categories, tiers and rewards, from a TOML file.

Unknown keys are refused with the key named, so a typo in a programme file never silently
changes how points are earned.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from loyalty_service.schemas import AmountOff, Earning, FreeItem, PercentOff, ProgramInfo, Reward, RewardDiscount, Tier

DEMO_PROGRAM = Path(__file__).with_name("demo_program.toml")
REWARD_KINDS = ("amount_off", "percent_off", "free_item")


class ProgramError(ValueError):
    """A programme file that cannot be used."""


@dataclass(frozen=True, slots=True)
class TierRule:
    name: str
    threshold: int  # lifetime points earned that qualify
    multiplier: Decimal


@dataclass(frozen=True, slots=True)
class RewardRule:
    reward_id: str
    name: str
    cost: int
    kind: str
    description: str
    amount: int | None = None
    percent: int | None = None
    cap: int | None = None
    category: str | None = None

    def discount(self) -> RewardDiscount:
        if self.kind == "amount_off":
            return AmountOff(amount=self.amount or 0)
        if self.kind == "percent_off":
            return PercentOff(percent=self.percent or 0, cap=self.cap)
        return FreeItem(category=self.category or "")

    def as_reward(self) -> Reward:
        return Reward(
            reward_id=self.reward_id,
            name=self.name,
            cost=self.cost,
            discount=self.discount(),
            description=self.description,
        )


@dataclass(frozen=True, slots=True)
class Program:
    currency: str
    exponent: int
    region: str
    terms_version: str
    privacy_notice: str
    points_per_unit: int
    excluded_categories: tuple[str, ...]  # as the file lists them
    tiers: tuple[TierRule, ...]  # by threshold, lowest first
    rewards: tuple[RewardRule, ...]  # cheapest first

    def reward(self, reward_id: str) -> RewardRule | None:
        return next((r for r in self.rewards if r.reward_id == reward_id), None)

    def tier_for(self, lifetime_points: int) -> tuple[TierRule, TierRule | None]:
        """The tier these lifetime points qualify for, and the one above it (None at the top)."""
        current, following = self.tiers[0], None
        for index, tier in enumerate(self.tiers):
            if lifetime_points >= tier.threshold:
                current = tier
                following = self.tiers[index + 1] if index + 1 < len(self.tiers) else None
        return current, following

    def info(self) -> ProgramInfo:
        return ProgramInfo(
            currency=self.currency,
            exponent=self.exponent,
            region=self.region,
            terms_version=self.terms_version,
            privacy_notice=self.privacy_notice,
            earning=Earning(
                points_per_unit=self.points_per_unit,
                excluded_categories=list(self.excluded_categories),
                rounding="floor, once per sale, after discounts",
            ),
            tiers=[Tier(name=t.name, threshold=t.threshold, multiplier=str(t.multiplier)) for t in self.tiers],
            rewards=[r.as_reward() for r in self.rewards],
        )


_TOP = {"currency", "exponent", "region", "terms_version", "privacy_notice", "earning", "tiers", "rewards"}
_EARNING = {"points_per_unit", "excluded_categories"}
_TIER = {"name", "threshold", "multiplier"}
_REWARD = {"id", "name", "cost", "kind", "description", "amount", "percent", "cap", "category"}


def load_program(path: Path = DEMO_PROGRAM) -> Program:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ProgramError(f"{path}: {error}") from None
    try:
        return _program(data)
    except ProgramError as error:
        raise ProgramError(f"{path}: {error}") from None
    except KeyError as error:
        raise ProgramError(f"{path}: missing key {error}") from None
    except (TypeError, ValueError, InvalidOperation) as error:
        raise ProgramError(f"{path}: bad value ({error})") from None


def _only(table: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ProgramError(f"unknown key {', '.join(unknown)} in {where}")


def _program(data: dict[str, Any]) -> Program:
    _only(data, _TOP, "the programme")
    earning = data["earning"]
    _only(earning, _EARNING, "[earning]")
    tiers = []
    for number, tier in enumerate(data["tiers"], start=1):
        _only(tier, _TIER, f"tier {number}")
        tiers.append(TierRule(str(tier["name"]), _whole(tier["threshold"]), _multiplier(tier["multiplier"], number)))
    tiers.sort(key=lambda t: t.threshold)
    if not tiers or tiers[0].threshold != 0:
        raise ProgramError("the lowest tier must have threshold 0")
    rewards = []
    for number, reward in enumerate(data["rewards"], start=1):
        _only(reward, _REWARD, f"reward {number}")
        kind = str(reward["kind"])
        if kind not in REWARD_KINDS:
            raise ProgramError(f"reward {number}: kind must be one of {', '.join(REWARD_KINDS)}")
        rule = RewardRule(
            reward_id=str(reward["id"]),
            name=str(reward["name"]),
            cost=_whole(reward["cost"]),
            kind=kind,
            description=str(reward.get("description", "")),
            amount=_int_or_none(reward.get("amount")),
            percent=_int_or_none(reward.get("percent")),
            cap=_int_or_none(reward.get("cap")),
            category=reward.get("category"),
        )
        needed = {"amount_off": rule.amount, "percent_off": rule.percent, "free_item": rule.category}[kind]
        if needed is None:
            raise ProgramError(f"reward {number} ({rule.reward_id}): a {kind} reward needs its amount/percent/category")
        if any(r.reward_id == rule.reward_id for r in rewards):
            raise ProgramError(f"reward {number}: the id {rule.reward_id!r} is used twice")
        rewards.append(rule)
    rewards.sort(key=lambda r: (r.cost, r.reward_id))
    return Program(
        currency=str(data["currency"]).upper(),
        exponent=_whole(data.get("exponent", 2)),
        region=str(data["region"]).upper(),
        terms_version=str(data["terms_version"]),
        privacy_notice=str(data.get("privacy_notice", "")),
        points_per_unit=_whole(earning["points_per_unit"]),
        excluded_categories=tuple(str(c) for c in earning.get("excluded_categories", ())),
        tiers=tuple(tiers),
        rewards=tuple(rewards),
    )


def _int_or_none(value: Any) -> int | None:
    return None if value is None else _whole(value)


def _whole(value: Any) -> int:
    # int() would quietly turn 2.5 points into 2; a programme file must say what it means.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProgramError(f"{value!r} is not a whole number")
    return value


def _multiplier(value: Any, tier_number: int) -> Decimal:
    # A TOML float (1.1) is binary and inexact; a string ("1.1") is what was meant.
    if isinstance(value, float) or isinstance(value, bool):
        raise ProgramError(f'tier {tier_number}: write the multiplier as a string, e.g. multiplier = "1.25"')
    multiplier = Decimal(str(value))
    if not multiplier.is_finite() or multiplier <= 0:
        raise ProgramError(f"tier {tier_number}: the multiplier must be a positive number")
    return multiplier
