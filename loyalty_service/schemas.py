"""Loyalty API v1 documents as pydantic models: request bodies (unknown fields refused, no type
coercion, so money can never arrive as a float or a string) and the answers, for /openapi.json."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from loyalty_service.identifiers import Method

# ---- requests ------------------------------------------------------------------------------

# A sale's shape is bounded (the programme bounds its amount: program.py [limits]). Measured before:
# one sale of 50 lines x 100 000 loaves with a 20 bn cash tender earned 17 450 050 points.
MAX_SALE_LINES = 200
MAX_LINE_QUANTITY = 9_999


class RequestBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class IdentifyRequest(RequestBody):
    method: Method
    value: str = Field(max_length=4096)


# Where the customer agreed: at the till (spoken, the cashier ticks), on the customer display
# facing the till (a tap), or at a self-checkout kiosk. Recorded with the consent.
ConsentGivenAt = Literal["till", "customer_display", "kiosk"]


class Consent(RequestBody):
    terms_version: str = Field(max_length=64)
    marketing: bool
    given_at: ConsentGivenAt = "till"
    # The customer agrees to get every receipt by e-mail (digital_receipts.py); needs ``email``.
    email_receipts: bool = False


class EnrolRequest(RequestBody):
    phone: str = Field(max_length=64)
    name: str = Field(max_length=120)
    consent: Consent
    store_id: str | None = Field(default=None, max_length=64)
    terminal_id: str | None = Field(default=None, max_length=64)
    cashier_id: str | None = Field(default=None, max_length=32)  # who enrolled them (staff.py)
    # Another member's referral code, typed or scanned (referrals.py); absent or null: none.
    referral_code: str | None = Field(default=None, max_length=32)
    # For digital receipts (email_addresses.py): validated, stored normalised, never sent to a till.
    email: str | None = Field(default=None, max_length=254)


class SaleLine(RequestBody):
    sku: str = Field(min_length=1, max_length=64)
    name: str = Field(max_length=200)
    category: str = Field(max_length=64)
    quantity: int = Field(ge=1, le=MAX_LINE_QUANTITY)
    unit_price: int = Field(ge=0, le=10**10, description="minor units")


class TenderLine(RequestBody):
    method: Literal["cash", "card"]
    amount: int = Field(gt=0, le=10**11, description="minor units")


class QuoteRequest(RequestBody):
    account_id: str = Field(max_length=64)
    currency: str | None = Field(default=None, min_length=3, max_length=3)
    lines: list[SaleLine] = Field(min_length=1, max_length=MAX_SALE_LINES)
    rewards: list[str] = Field(default_factory=list, max_length=20)
    # How many points a points_as_money reward in ``rewards`` spends (default: its minimum).
    points_to_spend: int | None = Field(default=None, ge=1, le=10**9)


class SaleRequest(RequestBody):
    account_id: str = Field(max_length=64)
    store_id: str = Field(min_length=1, max_length=64)
    terminal_id: str = Field(min_length=1, max_length=64)
    currency: str = Field(min_length=3, max_length=3)
    lines: list[SaleLine] = Field(min_length=1, max_length=MAX_SALE_LINES)
    rewards: list[str] = Field(default_factory=list, max_length=20)
    tender: list[TenderLine] = Field(default_factory=list, max_length=20)
    # How many points a points_as_money reward in ``rewards`` spends (default: its minimum).
    points_to_spend: int | None = Field(default=None, ge=1, le=10**9)
    # The till's hold on the rewards' points (POST /v1/reservations), redeemed by this sale.
    reservation_id: str | None = Field(default=None, max_length=64)
    # Proof the customer was at the till (presence.py): needed by a till key to spend points.
    presence: str | None = Field(default=None, max_length=160)
    # The cashier signed on at the till (staff.py); stored with the sale, not in its answer.
    cashier_id: str | None = Field(default=None, max_length=32)
    # The receipt by e-mail (digital_receipts.py): null, the account's standing choice; true, this
    # sale; false, not this time. ``receipt_email``: an address for this sale only (implies true).
    email_receipt: bool | None = None
    receipt_email: str | None = Field(default=None, max_length=254)


# ---- answers -------------------------------------------------------------------------------


class ErrorDetail(BaseModel):
    field: str
    problem: str


class ErrorBody(BaseModel):
    code: str
    message: str
    details: list[ErrorDetail] = []


class ErrorResponse(BaseModel):
    error: ErrorBody


class AmountOff(BaseModel):
    kind: Literal["amount_off"] = "amount_off"
    amount: int


class PercentOff(BaseModel):
    kind: Literal["percent_off"] = "percent_off"
    percent: int
    cap: int | None


class FreeItem(BaseModel):
    kind: Literal["free_item"] = "free_item"
    category: str


class PointsAsMoney(BaseModel):
    kind: Literal["points_as_money"] = "points_as_money"
    value_per_point: str = Field(description="minor units one point is worth, a decimal string")
    min_points: int
    max_points: int | None


RewardDiscount = Annotated[AmountOff | PercentOff | FreeItem | PointsAsMoney, Field(discriminator="kind")]


class Reward(BaseModel):
    reward_id: str
    name: str
    cost: int
    discount: RewardDiscount
    description: str


class NextReward(BaseModel):
    reward_id: str
    name: str
    cost: int
    points_needed: int


class TierStatus(BaseModel):
    name: str
    multiplier: str = Field(description="a decimal string")
    next_tier: str | None
    points_to_next_tier: int | None


class AccountSummary(BaseModel):
    account_id: str
    display_name: str
    currency: str
    balance: int
    balance_as_of: str
    tier: TierStatus
    next_reward: NextReward | None
    rewards_available: list[Reward]
    # Identify and enrol only: proof the customer is at this till now (presence.py).
    presence: str | None = None
    # The member's own code to give friends (referral_codes.py); null only for an account made
    # since the service started without one (the next start gives it one).
    referral_code: str | None = None
    # The e-mail address on file, masked ("j•••@example.com"; email_addresses.py), and whether the
    # customer gets every receipt by e-mail. The full address is never sent to a till.
    email_masked: str | None = None
    email_receipts: bool = False


class DigitalReceipt(BaseModel):
    """A sale's receipt kept by the service (digital_receipts.py)."""

    url: str | None = Field(description="its page, when the service runs with --public-url")
    emailed_to: str | None = Field(description="the masked address an e-mail was queued to for this sale")


class DiscountLine(BaseModel):
    line: int = Field(description="the index of the line in the sale's lines")
    amount: int = Field(description="minor units of the discount taken off that line")


class Discount(BaseModel):
    reward_id: str
    name: str
    amount: int
    # Only for a reward aimed at an item (a free item): the line(s) it came off, so a return refunds
    # what each line cost. Absent for a basket-wide discount, which returns apportion (returns.py).
    # A basket-wide discount reads exactly as it did before the field.
    lines: list[DiscountLine] | None = Field(default=None, exclude_if=lambda value: value is None)


class BreakdownEntry(BaseModel):
    """Why a sale earns what it earns: one entry per line (and per bonus on a line), then the
    sale's own entries (tier, threshold bonus, rounding). The ``points`` add up to points_earned."""

    rule: Literal["base", "promotion", "excluded", "bonus", "tier", "threshold", "rounding"]
    sku: str | None = None
    name: str = Field(description="the line's product, or the rule's name for a sale's entry")
    quantity: int | None = None
    amount: int | None = Field(default=None, description="the line's total, minor units")
    discount: int | None = Field(default=None, description="the line's share of reward discounts")
    eligible_amount: int | None = Field(default=None, description="what earns: amount - discount, or 0")
    multiplier: str | None = None
    points: str = Field(description="exact decimal points, before the sale's one rounding")
    rule_id: str | None = Field(default=None, description="promotion, bonus or tier; the excluded category or sku")
    note: str = ""


class Quote(BaseModel):
    account_id: str
    currency: str
    subtotal: int
    discounts: list[Discount]
    discount_total: int
    total: int
    eligible_amount: int
    points_earned: int
    points_redeemed: int
    balance: int
    balance_after: int
    breakdown: list[BreakdownEntry] = []


class Sale(BaseModel):
    sale_id: str
    account_id: str
    store_id: str
    terminal_id: str
    currency: str
    created_at: str
    lines: list[SaleLine]
    rewards: list[str]
    tender: list[TenderLine]
    subtotal: int
    discounts: list[Discount]
    discount_total: int
    total: int
    change: int
    points_earned: int
    points_redeemed: int
    balance: int
    tier: TierStatus
    next_reward: NextReward | None
    breakdown: list[BreakdownEntry] = []
    # Set once the lines (and breakdown) are gone: "pruned" after the programme's
    # keep_sale_lines_months, "erased" with the customer's data. Totals and points stay.
    lines_removed: Literal["pruned", "erased"] | None = None
    points_held_for_review: int = Field(
        default=0, description="of points_earned, held until head office decides; not in the balance")
    referral_points: int = Field(
        default=0, description="the referral bonus this sale, the member's first qualifying one, paid them; "
        "in the balance, not in points_earned")
    # Null only from a service that predates digital receipts; filled in as the sale is answered.
    digital_receipt: DigitalReceipt | None = None


class SaleEntry(BaseModel):
    """One of an account's sales, as the account's sales list gives it."""

    sale_id: str
    store_id: str
    terminal_id: str
    created_at: str
    total: int
    points_earned: int
    points_redeemed: int


class AccountSales(BaseModel):
    account_id: str
    currency: str
    sales: list[SaleEntry]


class Earning(BaseModel):
    points_per_unit: int
    excluded_categories: list[str]
    rounding: str
    excluded_products: list[str] = []


class Tier(BaseModel):
    name: str
    threshold: int = Field(description="lifetime points earned that qualify")
    multiplier: str


class TimeWindow(BaseModel):
    weekdays: list[str] = Field(description="mon … sun; empty: every day")
    hours: str | None = Field(description="HH:MM-HH:MM local time, end excluded; null: all day")
    from_date: str | None
    until_date: str | None = Field(description="inclusive")


class PromotionInfo(BaseModel):
    promotion_id: str
    name: str
    products: list[str]
    categories: list[str]
    multiplier: str | None
    bonus_points: int | None = Field(description="per unit")
    window: TimeWindow
    when: str


class ThresholdBonusInfo(BaseModel):
    bonus_id: str
    name: str
    min_spend: int
    points: int
    window: TimeWindow
    when: str


class SaleLimits(BaseModel):
    """What one sale may hold; a till refuses more before it is rung up."""

    max_lines: int
    max_quantity: int = Field(description="of one line")
    max_sale_amount: int = Field(description="minor units: the most the subtotal, and the tender in all, may be")


class TierQualification(BaseModel):
    measure: Literal["points", "spend"]
    window_days: int | None


class ProgramInfo(BaseModel):
    currency: str
    exponent: int
    region: str
    terms_version: str
    privacy_notice: str
    earning: Earning
    tiers: list[Tier]
    rewards: list[Reward]
    timezone: str = "UTC"
    promotions: list[PromotionInfo] = []
    threshold_bonuses: list[ThresholdBonusInfo] = []
    tier_qualification: TierQualification = TierQualification(measure="points", window_days=None)
    return_days: int = Field(default=30, description="a return later than this after the sale needs a manager's PIN")
    return_pin_above: int = Field(default=5000, description="a refund above this (minor units) needs a manager's PIN")
    limits: SaleLimits | None = None


class Product(BaseModel):
    sku: str
    ean: str
    name: str
    category: str
    unit_price: int


class Catalog(BaseModel):
    currency: str
    products: list[Product]


class Health(BaseModel):
    status: Literal["ok"]
    time: str
    # Digital receipts' e-mails (receipt_mail.py): "sending" through --smtp-url; "not_configured":
    # none given, so they wait in the queue.
    receipt_email: Literal["sending", "not_configured"] | None = None
