"""A click & collect order as the till reads it from the service (``POST /v1/orders/lookup`` and
``POST /v1/orders/{order_id}/pickup``, docs/loyalty-api-v1.md "Click & collect"). Plain data."""

from __future__ import annotations

from dataclasses import dataclass

from pos_core.loyalty_models import AccountSummary, Json
from pos_core.money import currency_code


@dataclass(frozen=True, slots=True)
class OrderLine:
    sku: str
    name: str
    quantity: int
    unit_price: int  # minor units


@dataclass(frozen=True, slots=True)
class PickupOrder:
    order_id: str
    account_id: str
    store_id: str
    currency: str
    lines: tuple[OrderLine, ...]
    paid_total: int  # minor units, paid online
    pickup_code: str
    status: str  # "open" or "collected"
    points_at: str  # "at_order" or "at_pickup": when it earns, fixed when it was placed
    points_earned: int | None  # None until it has earned
    sale_id: str | None  # the sale its points were recorded with: a return names it
    collected_at: str | None = None
    collected_terminal_id: str | None = None

    @property
    def collected(self) -> bool:
        return self.status == "collected"

    @classmethod
    def from_json(cls, data: Json) -> PickupOrder:
        earned = data.get("points_earned")
        return cls(
            order_id=str(data["order_id"]),
            account_id=str(data["account_id"]),
            store_id=str(data["store_id"]),
            currency=currency_code(data.get("currency")),
            lines=tuple(OrderLine(str(line["sku"]), str(line["name"]), int(line["quantity"]), int(line["unit_price"]))
                        for line in data["lines"]),
            paid_total=int(data["paid_total"]),
            pickup_code=str(data["pickup_code"]),
            status=str(data["status"]),
            points_at=str(data["points_at"]),
            points_earned=None if earned is None else int(earned),
            sale_id=None if data.get("sale_id") is None else str(data["sale_id"]),
            collected_at=None if data.get("collected_at") is None else str(data["collected_at"]),
            collected_terminal_id=None if data.get("collected_terminal_id") is None else str(data["collected_terminal_id"]),
        )


@dataclass(frozen=True, slots=True)
class OrderAtTill:
    """A pickup code's order and its customer, whom the till now serves."""

    order: PickupOrder
    customer: AccountSummary

    @classmethod
    def from_json(cls, data: Json) -> OrderAtTill:
        return cls(PickupOrder.from_json(data["order"]), AccountSummary.from_json(data["customer"]))


@dataclass(frozen=True, slots=True)
class OrderPickup:
    """The service's record of the hand-over: the same answer however often it is asked."""

    order: PickupOrder
    points_credited: int  # by this pickup; 0 for an order that earned when it was placed
    balance: int

    @classmethod
    def from_json(cls, data: Json) -> OrderPickup:
        return cls(PickupOrder.from_json(data["order"]), int(data["points_credited"]), int(data["balance"]))
