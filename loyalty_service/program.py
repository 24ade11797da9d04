"""The loyalty programme, from a TOML file the marketing team edits: the earning rate, what earns
nothing, promotions with their time windows, threshold bonuses, tiers and rewards.

Unknown keys are refused with the key named, and every refusal names the file and the line, so a
typo in a programme file never silently changes how points are earned.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from loyalty_service.rule_windows import Window, WindowError, parse_date, parse_hours, parse_weekdays
from loyalty_service.schemas import (
    MAX_LINE_QUANTITY,
    MAX_SALE_LINES,
    AmountOff,
    Earning,
    FreeItem,
    PercentOff,
    PointsAsMoney,
    ProgramInfo,
    PromotionInfo,
    Reward,
    RewardDiscount,
    SaleLimits,
    ThresholdBonusInfo,
    Tier,
    TierQualification,
    TimeWindow,
)

DEMO_PROGRAM = Path(__file__).with_name("demo_program.toml")
REWARD_KINDS = ("amount_off", "percent_off", "free_item", "points_as_money")
TIER_MEASURES = ("points", "spend")
CLICK_AND_COLLECT_POINTS = ("at_order", "at_pickup")
# [limits] when the file leaves them out: a sale of up to 10 000.00 in the currency's major unit,
# and a sale earning more than 5 000 points is held for head office to look at (points_review.py).
DEFAULT_MAX_SALE_AMOUNT = 1_000_000
DEFAULT_REVIEW_POINTS_ABOVE = 5_000


class ProgramError(ValueError):
    """A programme file that cannot be used."""

    def __init__(self, message: str, place: _Place | None = None, key: str | None = None) -> None:
        super().__init__(message)
        self.place = place
        self.key = key


@dataclass(frozen=True, slots=True)
class _Place:
    """Where in the file a table is: ``[earning]`` is ("earning", None); the 2nd ``[[rewards]]`` is
    ("rewards", 1); the top level is (None, None). Used only to name the line of an error."""

    table: str | None
    index: int | None
    label: str


_TOP_PLACE = _Place(None, None, "the programme")


@dataclass(frozen=True, slots=True)
class TierRule:
    name: str
    threshold: int  # what qualifies: points earned, or spend in minor units (see Program.tier_measure)
    multiplier: Decimal


@dataclass(frozen=True, slots=True)
class RewardRule:
    reward_id: str
    name: str
    cost: int  # points it uses; for points_as_money the fewest points that may be spent
    kind: str
    description: str
    amount: int | None = None
    percent: int | None = None
    cap: int | None = None
    category: str | None = None
    value_per_point: Decimal | None = None  # points_as_money: minor units one point is worth
    max_points: int | None = None  # points_as_money: the most points one sale may spend

    def discount(self) -> RewardDiscount:
        if self.kind == "amount_off":
            return AmountOff(amount=self.amount or 0)
        if self.kind == "percent_off":
            return PercentOff(percent=self.percent or 0, cap=self.cap)
        if self.kind == "points_as_money":
            return PointsAsMoney(value_per_point=str(self.value_per_point), min_points=self.cost,
                                 max_points=self.max_points)
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
class ReferralRule:
    """``[referral]``: the bonuses once a referred member's first purchase reaches
    ``min_first_purchase`` (minor units), and how many a referrer may have in a calendar month."""

    min_first_purchase: int
    referrer_points: int
    referee_points: int
    max_per_referrer_per_month: int


@dataclass(frozen=True, slots=True)
class Promotion:
    """Extra points on some products or categories, while its window is open: a multiplier of the
    line's base points, or a fixed bonus per unit bought."""

    promotion_id: str
    name: str
    products: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    multiplier: Decimal | None = None
    bonus_points: int | None = None  # per unit
    window: Window = field(default_factory=Window)

    def covers(self, sku: str, category: str) -> bool:
        return sku in self.products or category in self.categories

    def info(self) -> PromotionInfo:
        return PromotionInfo(
            promotion_id=self.promotion_id, name=self.name, products=list(self.products),
            categories=list(self.categories),
            multiplier=None if self.multiplier is None else str(self.multiplier),
            bonus_points=self.bonus_points, window=TimeWindow(**self.window.as_json()),
            when=self.window.describe(),
        )


@dataclass(frozen=True, slots=True)
class ThresholdBonus:
    """Bonus points for a sale whose eligible spend (after rewards) reaches ``min_spend``."""

    bonus_id: str
    name: str
    min_spend: int  # minor units
    points: int
    window: Window = field(default_factory=Window)

    def info(self) -> ThresholdBonusInfo:
        return ThresholdBonusInfo(
            bonus_id=self.bonus_id, name=self.name, min_spend=self.min_spend, points=self.points,
            window=TimeWindow(**self.window.as_json()), when=self.window.describe(),
        )


@dataclass(frozen=True, slots=True)
class SurveyQuestion:
    """A ``[[survey]]`` question asked on a digital receipt's page (receipt_page.py): of every sale,
    or of a sale holding one of its ``categories`` or ``skus``."""

    question_id: str
    question: str
    answers: tuple[str, ...]  # the choices, 2 to 5
    categories: tuple[str, ...] = ()
    skus: tuple[str, ...] = ()

    @property
    def tied(self) -> bool:
        return bool(self.categories or self.skus)

    def fits(self, lines: list[tuple[str, str]]) -> bool:
        """Whether it is asked of a sale of these (sku, category) lines."""
        return not self.tied or any(sku in self.skus or category in self.categories for sku, category in lines)


MAX_SURVEY_QUESTIONS_ASKED = 2


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
    excluded_products: tuple[str, ...] = ()  # SKUs
    promotions: tuple[Promotion, ...] = ()  # as the file lists them
    threshold_bonuses: tuple[ThresholdBonus, ...] = ()  # by min_spend, lowest first
    timezone: str = "UTC"
    tier_measure: str = "points"  # "points" earned, or "spend" (the sales' totals, minor units)
    tier_window_days: int | None = None  # rolling window; None: since the account was opened
    max_sale_amount: int = DEFAULT_MAX_SALE_AMOUNT  # minor units: the most a sale's subtotal may be
    review_points_above: int = DEFAULT_REVIEW_POINTS_ABOVE  # a sale earning more is held for review
    # A till key may look up and return a sale of another store (with the receipt's sale id).
    returns_any_store: bool = False
    keep_sale_lines_months: int = 24  # sales' lines are pruned after this (sale_line_retention.py); 0: kept
    # A return later than this many days after the sale, or refunding more than this (minor
    # units), needs a manager's PIN (returns.py).
    return_days: int = 30
    return_pin_above: int = 5000
    # When a click & collect order earns (orders.py): "at_order" or "at_pickup", once either way.
    click_and_collect_points: str = "at_pickup"
    referral: ReferralRule | None = None  # None: no referral bonuses (codes are still made)
    survey: tuple[SurveyQuestion, ...] = ()  # as the file lists them

    def survey_for(self, lines: list[tuple[str, str]]) -> list[SurveyQuestion]:
        """The questions a receipt of these (sku, category) lines asks: tied ones first, then the
        general ones, at most MAX_SURVEY_QUESTIONS_ASKED."""
        fitting = [q for q in self.survey if q.fits(lines)]
        return sorted(fitting, key=lambda q: not q.tied)[:MAX_SURVEY_QUESTIONS_ASKED]

    def survey_question(self, question_id: str) -> SurveyQuestion | None:
        return next((q for q in self.survey if q.question_id == question_id), None)

    def reward(self, reward_id: str) -> RewardRule | None:
        return next((r for r in self.rewards if r.reward_id == reward_id), None)

    def tier_for(self, qualifying: int) -> tuple[TierRule, TierRule | None]:
        """The tier this qualifying figure reaches, and the one above it (None at the top)."""
        current, following = self.tiers[0], None
        for index, tier in enumerate(self.tiers):
            if qualifying >= tier.threshold:
                current = tier
                following = self.tiers[index + 1] if index + 1 < len(self.tiers) else None
        return current, following

    def local_time(self, moment: datetime) -> datetime:
        """An aware moment in the programme's time zone, where its windows are read."""
        return moment.astimezone(ZoneInfo(self.timezone))

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
                excluded_products=list(self.excluded_products),
            ),
            tiers=[Tier(name=t.name, threshold=t.threshold, multiplier=str(t.multiplier)) for t in self.tiers],
            rewards=[r.as_reward() for r in self.rewards],
            timezone=self.timezone,
            promotions=[p.info() for p in self.promotions],
            threshold_bonuses=[b.info() for b in self.threshold_bonuses],
            tier_qualification=TierQualification(measure=self.tier_measure, window_days=self.tier_window_days),
            return_days=self.return_days,
            return_pin_above=self.return_pin_above,
            limits=SaleLimits(max_lines=MAX_SALE_LINES, max_quantity=MAX_LINE_QUANTITY,
                              max_sale_amount=self.max_sale_amount),
        )


_TOP = {"currency", "exponent", "region", "terms_version", "privacy_notice", "timezone", "earning", "tiers",
        "tier_qualification", "rewards", "promotions", "threshold_bonuses", "limits", "returns_any_store",
        "keep_sale_lines_months", "return_days", "return_pin_above", "click_and_collect_points", "referral",
        "survey"}
_REFERRAL = {"min_first_purchase", "referrer_points", "referee_points", "max_per_referrer_per_month"}
_LIMITS = {"max_sale_amount", "review_points_above"}
_EARNING = {"points_per_unit", "excluded_categories", "excluded_products"}
_TIER = {"name", "threshold", "multiplier"}
_TIER_QUALIFICATION = {"measure", "window_days"}
_REWARD = {"id", "name", "cost", "kind", "description", "amount", "percent", "cap", "category", "value_per_point",
           "max_points"}
_WINDOW = {"weekdays", "hours", "from_date", "until_date"}
_PROMOTION = {"id", "name", "products", "categories", "multiplier", "bonus_points"} | _WINDOW
_THRESHOLD = {"id", "name", "min_spend", "points"} | _WINDOW
_SURVEY = {"id", "question", "answers", "categories", "skus"}


def load_program(path: Path = DEMO_PROGRAM) -> Program:
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ProgramError(f"{path}: {error}") from None  # tomllib names the line itself
    try:
        return _program(data)
    except ProgramError as error:
        line = _line_of(text, error.place, error.key) if error.place else None
        where = f"{path}, line {line}" if line else str(path)
        raise ProgramError(f"{where}: {error}") from None


# -- where an error is ---------------------------------------------------------------------------

_ARRAY_HEADER = re.compile(r"\[\[\s*([A-Za-z0-9_.-]+)\s*\]\]")
_TABLE_HEADER = re.compile(r"\[\s*([A-Za-z0-9_.-]+)\s*\]")
_KEY = re.compile(r"""(?:"([^"]*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*=""")


def _line_of(text: str, place: _Place, key: str | None) -> int | None:
    """The line of ``key`` in the table ``place``, else of the table's header: tomllib gives no
    positions for a file that parses but means something wrong, so read the text for them."""
    target = (place.table, place.index)
    table: tuple[str | None, int | None] = (None, None)
    seen: dict[str, int] = {}
    header_line = None
    in_string = False  # inside a multi-line string, where nothing is a key or a header
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        quotes = stripped.count('"""') + stripped.count("\'\'\'")
        if in_string:
            in_string = quotes % 2 == 0
            continue
        if array := _ARRAY_HEADER.match(stripped):
            name = array.group(1)
            table = (name, seen.get(name, 0))
            seen[name] = table[1] + 1  # type: ignore[operator]
        elif plain := _TABLE_HEADER.match(stripped):
            table = (plain.group(1), None)
        else:
            match = _KEY.match(stripped)
            if match and table == target and next(g for g in match.groups() if g is not None) == key:
                return number
            in_string = quotes % 2 == 1
            continue
        if table == target and header_line is None:
            header_line = number
    return header_line


# -- reading the tables --------------------------------------------------------------------------


def _only(table: Any, allowed: set[str], place: _Place) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise ProgramError(f"{place.label} must be a table", place)
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ProgramError(f"unknown key {', '.join(unknown)} in {place.label}", place, unknown[0])
    return table


def _need(table: dict[str, Any], key: str, place: _Place) -> Any:
    if key not in table:
        raise ProgramError(f"missing key '{key}' in {place.label}", place)
    return table[key]


def _list_of_tables(data: dict[str, Any], key: str) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise ProgramError(f"{key} must be written as [[{key}]] tables", _TOP_PLACE, key)
    return value


def _program(data: dict[str, Any]) -> Program:
    _only(data, _TOP, _TOP_PLACE)
    earning_place = _Place("earning", None, "[earning]")
    earning = _only(_need(data, "earning", _TOP_PLACE), _EARNING, earning_place)
    excluded_categories = _strings(earning.get("excluded_categories", []), earning_place, "excluded_categories")
    excluded_products = _strings(earning.get("excluded_products", []), earning_place, "excluded_products")
    tiers = []
    for number, tier in enumerate(_list_of_tables(data, "tiers"), start=1):
        place = _Place("tiers", number - 1, f"tier {number}")
        _only(tier, _TIER, place)
        tiers.append(TierRule(str(_need(tier, "name", place)), _whole(_need(tier, "threshold", place), place, "threshold"),
                              _multiplier(_need(tier, "multiplier", place), place, f"tier {number}")))
    tiers.sort(key=lambda t: t.threshold)
    if not tiers or tiers[0].threshold != 0:
        raise ProgramError("the lowest tier must have threshold 0", _Place("tiers", 0, "tier 1"), "threshold")
    measure, window_days = _tier_qualification(data)
    max_sale_amount, review_points_above = _limits(data)
    rewards: list[RewardRule] = []
    for number, table in enumerate(_list_of_tables(data, "rewards"), start=1):
        rewards.append(_reward(table, number, rewards))
    rewards.sort(key=lambda r: (r.cost, r.reward_id))
    excluded = (set(excluded_categories), set(excluded_products))
    promotions: list[Promotion] = []
    for number, table in enumerate(_list_of_tables(data, "promotions"), start=1):
        promotion = _promotion(table, number, excluded)
        if any(p.promotion_id == promotion.promotion_id for p in promotions):
            place = _Place("promotions", number - 1, f"promotion {number}")
            raise ProgramError(f"promotion {number}: the id {promotion.promotion_id!r} is used twice", place, "id")
        promotions.append(promotion)
    thresholds: list[ThresholdBonus] = []
    for number, table in enumerate(_list_of_tables(data, "threshold_bonuses"), start=1):
        bonus = _threshold(table, number)
        if any(b.bonus_id == bonus.bonus_id for b in thresholds):
            place = _Place("threshold_bonuses", number - 1, f"threshold bonus {number}")
            raise ProgramError(f"threshold bonus {number}: the id {bonus.bonus_id!r} is used twice", place, "id")
        thresholds.append(bonus)
    thresholds.sort(key=lambda b: (b.min_spend, b.bonus_id))
    timezone = str(data.get("timezone", "UTC"))
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ProgramError(f"timezone {timezone!r} is not a known time zone (e.g. \"Europe/London\")",
                           _TOP_PLACE, "timezone") from None
    return Program(
        currency=str(_need(data, "currency", _TOP_PLACE)).upper(),
        exponent=_whole(data.get("exponent", 2), _TOP_PLACE, "exponent"),
        region=str(_need(data, "region", _TOP_PLACE)).upper(),
        terms_version=str(_need(data, "terms_version", _TOP_PLACE)),
        privacy_notice=str(data.get("privacy_notice", "")),
        points_per_unit=_whole(_need(earning, "points_per_unit", earning_place), earning_place, "points_per_unit"),
        excluded_categories=excluded_categories,
        tiers=tuple(tiers),
        rewards=tuple(rewards),
        excluded_products=excluded_products,
        promotions=tuple(promotions),
        threshold_bonuses=tuple(thresholds),
        timezone=timezone,
        tier_measure=measure,
        tier_window_days=window_days,
        max_sale_amount=max_sale_amount,
        review_points_above=review_points_above,
        returns_any_store=_flag(data.get("returns_any_store", False), _TOP_PLACE, "returns_any_store"),
        keep_sale_lines_months=_whole(data.get("keep_sale_lines_months", 24), _TOP_PLACE, "keep_sale_lines_months"),
        return_days=_whole(data.get("return_days", 30), _TOP_PLACE, "return_days"),
        return_pin_above=_whole(data.get("return_pin_above", 5000), _TOP_PLACE, "return_pin_above"),
        click_and_collect_points=_one_of(data.get("click_and_collect_points", "at_pickup"), CLICK_AND_COLLECT_POINTS,
                                         "click_and_collect_points"),
        referral=_referral(data),
        survey=_survey(data),
    )


def _survey(data: dict[str, Any]) -> tuple[SurveyQuestion, ...]:
    questions: list[SurveyQuestion] = []
    for number, table in enumerate(_list_of_tables(data, "survey"), start=1):
        place = _Place("survey", number - 1, f"survey question {number}")
        _only(table, _SURVEY, place)
        question_id = str(_need(table, "id", place))
        if any(q.question_id == question_id for q in questions):
            raise ProgramError(f"survey question {number}: the id {question_id!r} is used twice", place, "id")
        question = str(_need(table, "question", place)).strip()
        if not question:
            raise ProgramError(f"survey question {number}: the question is empty", place, "question")
        answers = _strings(_need(table, "answers", place), place, "answers")
        if not 2 <= len(answers) <= 5 or len(set(answers)) != len(answers) or not all(a.strip() for a in answers):
            raise ProgramError(f"survey question {number}: answers are 2 to 5 different choices", place, "answers")
        questions.append(SurveyQuestion(question_id, question, answers,
                                        _strings(table.get("categories", []), place, "categories"),
                                        _strings(table.get("skus", []), place, "skus")))
    return tuple(questions)


def _one_of(value: Any, choices: tuple[str, ...], key: str) -> str:
    if value not in choices:
        raise ProgramError(f"{key} must be one of {', '.join(repr(c) for c in choices)}", _TOP_PLACE, key)
    return str(value)


def _referral(data: dict[str, Any]) -> ReferralRule | None:
    if "referral" not in data:
        return None
    place = _Place("referral", None, "[referral]")
    table = _only(data["referral"], _REFERRAL, place)
    values = {key: _whole(_need(table, key, place), place, key) for key in sorted(_REFERRAL)}
    return ReferralRule(**values)


def _limits(data: dict[str, Any]) -> tuple[int, int]:
    place = _Place("limits", None, "[limits]")
    table = _only(data.get("limits", {}), _LIMITS, place)
    max_sale_amount = _whole(table.get("max_sale_amount", DEFAULT_MAX_SALE_AMOUNT), place, "max_sale_amount")
    if max_sale_amount < 1:
        raise ProgramError("[limits]: max_sale_amount (minor units) must be at least 1", place, "max_sale_amount")
    review = _whole(table.get("review_points_above", DEFAULT_REVIEW_POINTS_ABOVE), place, "review_points_above")
    return max_sale_amount, review


def _flag(value: Any, place: _Place, key: str) -> bool:
    if not isinstance(value, bool):
        raise ProgramError(f"{place.label}: {key} must be true or false", place, key)
    return value


def _tier_qualification(data: dict[str, Any]) -> tuple[str, int | None]:
    place = _Place("tier_qualification", None, "[tier_qualification]")
    table = _only(data.get("tier_qualification", {}), _TIER_QUALIFICATION, place)
    measure = str(table.get("measure", "points"))
    if measure not in TIER_MEASURES:
        raise ProgramError(f"[tier_qualification]: measure must be one of {', '.join(TIER_MEASURES)}", place, "measure")
    window_days = table.get("window_days")
    if window_days is not None:
        window_days = _whole(window_days, place, "window_days")
        if window_days < 1:
            raise ProgramError("[tier_qualification]: window_days must be at least 1", place, "window_days")
    return measure, window_days


def _reward(reward: Any, number: int, before: list[RewardRule]) -> RewardRule:
    place = _Place("rewards", number - 1, f"reward {number}")
    _only(reward, _REWARD, place)
    kind = str(_need(reward, "kind", place))
    if kind not in REWARD_KINDS:
        raise ProgramError(f"reward {number}: kind must be one of {', '.join(REWARD_KINDS)}", place, "kind")
    value = reward.get("value_per_point")
    rule = RewardRule(
        reward_id=str(_need(reward, "id", place)),
        name=str(_need(reward, "name", place)),
        cost=_whole(_need(reward, "cost", place), place, "cost"),
        kind=kind,
        description=str(reward.get("description", "")),
        amount=_int_or_none(reward.get("amount"), place, "amount"),
        percent=_int_or_none(reward.get("percent"), place, "percent"),
        cap=_int_or_none(reward.get("cap"), place, "cap"),
        category=reward.get("category"),
        value_per_point=None if value is None else _decimal(value, place, "value_per_point", f"reward {number}"),
        max_points=_int_or_none(reward.get("max_points"), place, "max_points"),
    )
    needed = {"amount_off": rule.amount, "percent_off": rule.percent, "free_item": rule.category,
              "points_as_money": rule.value_per_point}[kind]
    if needed is None:
        what = {"amount_off": "amount", "percent_off": "percent", "free_item": "category",
                "points_as_money": "value_per_point"}[kind]
        raise ProgramError(
            f"reward {number} ({rule.reward_id}): a {kind} reward needs its amount/percent/category/value_per_point"
            f" (here: {what})", place)
    if kind == "points_as_money":
        if rule.cost < 1:
            raise ProgramError(f"reward {number}: cost (the fewest points to spend) must be at least 1", place, "cost")
        if rule.max_points is not None and rule.max_points < rule.cost:
            raise ProgramError(f"reward {number}: max_points must be at least cost", place, "max_points")
    if any(r.reward_id == rule.reward_id for r in before):
        raise ProgramError(f"reward {number}: the id {rule.reward_id!r} is used twice", place, "id")
    return rule


def _window(table: dict[str, Any], place: _Place) -> Window:
    key = ""
    try:
        key = "weekdays"
        weekdays = parse_weekdays(table["weekdays"]) if "weekdays" in table else ()
        key = "hours"
        start, end = parse_hours(table["hours"]) if "hours" in table else (None, None)
        key = "from_date"
        from_date = parse_date(table["from_date"], "from_date") if "from_date" in table else None
        key = "until_date"
        until_date = parse_date(table["until_date"], "until_date") if "until_date" in table else None
    except WindowError as error:
        raise ProgramError(f"{place.label}: {error}", place, key) from None
    if from_date and until_date and until_date < from_date:
        raise ProgramError(f"{place.label}: until_date is before from_date", place, "until_date")
    return Window(weekdays, start, end, from_date, until_date)


def _promotion(table: Any, number: int, excluded: tuple[set[str], set[str]]) -> Promotion:
    place = _Place("promotions", number - 1, f"promotion {number}")
    _only(table, _PROMOTION, place)
    promotion_id = str(_need(table, "id", place))
    products = _strings(table.get("products", []), place, "products")
    categories = _strings(table.get("categories", []), place, "categories")
    if not products and not categories:
        raise ProgramError(f"promotion {number} ({promotion_id}): name the products or categories it covers", place)
    for category in categories:
        if category in excluded[0]:
            raise ProgramError(f"promotion {number}: category {category!r} is excluded from earning", place, "categories")
    for sku in products:
        if sku in excluded[1]:
            raise ProgramError(f"promotion {number}: product {sku!r} is excluded from earning", place, "products")
    if ("multiplier" in table) == ("bonus_points" in table):
        raise ProgramError(f"promotion {number} ({promotion_id}): give either a multiplier or bonus_points (per unit)",
                           place)
    multiplier = bonus = None
    if "multiplier" in table:
        multiplier = _multiplier(table["multiplier"], place, f"promotion {number}")
    else:
        bonus = _whole(table["bonus_points"], place, "bonus_points")
        if bonus < 1:
            raise ProgramError(f"promotion {number}: bonus_points must be at least 1", place, "bonus_points")
    return Promotion(promotion_id, str(_need(table, "name", place)), products, categories, multiplier, bonus,
                     _window(table, place))


def _threshold(table: Any, number: int) -> ThresholdBonus:
    place = _Place("threshold_bonuses", number - 1, f"threshold bonus {number}")
    _only(table, _THRESHOLD, place)
    min_spend = _whole(_need(table, "min_spend", place), place, "min_spend")
    points = _whole(_need(table, "points", place), place, "points")
    if min_spend < 1 or points < 1:
        raise ProgramError(f"threshold bonus {number}: min_spend and points must be at least 1", place)
    return ThresholdBonus(str(_need(table, "id", place)), str(_need(table, "name", place)), min_spend, points,
                          _window(table, place))


def _strings(value: Any, place: _Place, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ProgramError(f'{key} in {place.label} is a list of strings, e.g. {key} = ["1031"]', place, key)
    return tuple(value)


def _int_or_none(value: Any, place: _Place, key: str) -> int | None:
    return None if value is None else _whole(value, place, key)


def _whole(value: Any, place: _Place = _TOP_PLACE, key: str | None = None) -> int:
    # int() would quietly turn 2.5 points into 2; a programme file must say what it means.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProgramError(f"{value!r} is not a whole number", place, key)
    if value < 0:
        raise ProgramError(f"{key or 'a value'} must not be negative", place, key)
    return value


def _decimal(value: Any, place: _Place, key: str, label: str) -> Decimal:
    # A TOML float (1.1) is binary and inexact; a string ("1.1") is what was meant.
    if isinstance(value, (float, bool)):
        raise ProgramError(f'{label}: write the {key} as a string, e.g. {key} = "1.25"', place, key)
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ProgramError(f"{label}: {key} {value!r} is not a number", place, key) from None
    if not number.is_finite() or number <= 0:
        raise ProgramError(f"{label}: the {key} must be a positive number", place, key)
    return number


def _multiplier(value: Any, place: _Place, label: str) -> Decimal:
    return _decimal(value, place, "multiplier", label)
