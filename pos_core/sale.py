"""A sale from first scan to receipt: the basket, the customer, chosen rewards, tender."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace

from pos_core.basket import Basket
from pos_core.loyalty_models import AccountSummary, Discount, Quote, SaleResult

TENDER_METHODS = ("cash", "card")


@dataclass(frozen=True, slots=True)
class Tender:
    method: str  # "cash" | "card"
    amount: int  # minor units

    def __post_init__(self) -> None:
        if self.method not in TENDER_METHODS:
            raise ValueError(f"unknown tender method {self.method!r}")
        if self.amount <= 0:
            raise ValueError("a tender amount must be positive")

    def to_json(self) -> dict[str, object]:
        return {"method": self.method, "amount": self.amount}


@dataclass(frozen=True, slots=True)
class Sale:
    """The sale in progress. Its id is made by the till and is the loyalty Idempotency-Key."""

    store_id: str
    terminal_id: str
    currency: str
    basket: Basket = Basket()
    customer: AccountSummary | None = None
    rewards: tuple[str, ...] = ()
    sale_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    # The receipt by e-mail for this sale (pos_core/receipt_by_email.py): None follows the
    # customer's standing choice, True sends it, False not this time; ``receipt_email`` is an
    # address for this sale only, typed at the till. Never in a repr (logs, tracebacks).
    email_receipt: bool | None = None
    receipt_email: str | None = field(default=None, repr=False)

    def with_basket(self, basket: Basket) -> Sale:
        return replace(self, basket=basket)

    def with_customer(self, customer: AccountSummary | None) -> Sale:
        same = customer is not None and self.customer is not None and customer.account_id == self.customer.account_id
        # A reward, and a choice of e-mailed receipt, belong to the customer they were chosen for.
        rewards = self.rewards if same else ()
        if not same:
            self = replace(self, email_receipt=None, receipt_email=None)
        if same and customer.presence is None and self.customer.presence is not None:
            # A refreshed summary (a live update, an adjustment) carries no proof; the customer
            # identified at this till is still here.
            customer = replace(customer, presence=self.customer.presence)
        return replace(self, customer=customer, rewards=rewards)

    def with_reward(self, reward_id: str, applied: bool) -> Sale:
        rewards = tuple(r for r in self.rewards if r != reward_id)
        return replace(self, rewards=(*rewards, reward_id) if applied else rewards)

    def loyalty_body(self, tender: tuple[Tender, ...]) -> dict[str, object]:
        """The ``POST /v1/sales`` body for this sale."""
        if self.customer is None:
            raise ValueError("a sale without a customer is not sent to the loyalty service")
        return {
            "account_id": self.customer.account_id,
            "store_id": self.store_id,
            "terminal_id": self.terminal_id,
            "currency": self.currency,
            "lines": self.basket.to_json(),
            "rewards": list(self.rewards),
            "tender": [t.to_json() for t in tender],
        } | ({"presence": self.customer.presence} if self.rewards and self.customer.presence else {}) | self._email_fields()

    def with_email_receipt(self, send: bool | None, address: str | None = None) -> Sale:
        """The sale with this choice of e-mailed receipt (an address implies sending)."""
        return replace(self, email_receipt=True if address else send, receipt_email=address or None)

    def _email_fields(self) -> dict[str, object]:
        # Only when chosen: a sale with the customer's standing choice reads as it did before the fields.
        if self.receipt_email:
            return {"email_receipt": True, "receipt_email": self.receipt_email}
        return {} if self.email_receipt is None else {"email_receipt": self.email_receipt}

    def anonymous_body(self, total: int, completed_at: str) -> dict[str, object]:
        """The ``POST /v1/anonymous-sales`` body for this sale without a customer: what reports
        count (SKUs, quantities, prices, the total), nothing about the person or their tender."""
        if self.customer is not None:
            raise ValueError("a member's sale is sent with loyalty_body")
        lines = [{key: line[key] for key in ("sku", "category", "quantity", "unit_price")} for line in self.basket.to_json()]
        return {"store_id": self.store_id, "terminal_id": self.terminal_id, "currency": self.currency,
                "lines": lines, "total": total, "completed_at": completed_at}


def amount_due(sale: Sale, quote: Quote | None) -> int:
    """What the customer pays: the quoted total with rewards, else the basket's subtotal."""
    if sale.customer is not None and quote is not None:
        return quote.total
    return sale.basket.subtotal


@dataclass(frozen=True, slots=True)
class CompletedSale:
    """A paid sale: what the receipt is printed from."""

    sale: Sale
    tender: tuple[Tender, ...]
    total: int
    change: int
    completed_at: str
    loyalty: SaleResult | None = None
    discounts: tuple[Discount, ...] = ()
    # The customer's points are in the outbox, not yet confirmed by the service.
    points_pending: bool = False
    points_expected: int = 0
