"""What devices tell an app, once a read has been classified. Plain data: the apps turn these into
their own messages, so nothing here knows about Textual."""

from __future__ import annotations

from dataclasses import dataclass

from devices.identification import Identification


@dataclass(frozen=True, slots=True)
class Identified:
    """A customer presented something that names their account."""

    identification: Identification


@dataclass(frozen=True, slots=True)
class ItemScanned:
    """A product's barcode (EAN/UPC) or SKU; ``3*1001`` typed is three of 1001."""

    code: str
    source: str
    quantity: int = 1

    @property
    def entry(self) -> str:
        """As the item field takes it."""
        return f"{self.quantity}*{self.code}" if self.quantity != 1 else self.code


@dataclass(frozen=True, slots=True)
class ScanRejected:
    """A read that is refused (a payment card) or not understood. ``message`` says what to do next;
    ``shown`` is safe for the screen (a payment card's last four digits at most)."""

    kind: str
    message: str
    shown: str
    source: str


@dataclass(frozen=True, slots=True)
class ReceiptScanned:
    """One of our receipts' numbers (``R-<sale id>``): the sale to return items from."""

    sale_id: str
    shown: str
    source: str


@dataclass(frozen=True, slots=True)
class OrderScanned:
    """A click & collect order's pickup code (``ORD-…``, pos_core.pickup_code): the order to hand over."""

    pickup_code: str
    source: str


@dataclass(frozen=True, slots=True)
class ReferralScanned:
    """A member's referral code (``REF-ABCD-EFGH``): for the enrolment form of a new member."""

    code: str
    source: str


@dataclass(frozen=True, slots=True)
class SourceProblem:
    """A device is absent, unplugged or failing; said once, and the till goes on without it."""

    source: str
    message: str


DeviceEvent = Identified | ItemScanned | ReceiptScanned | OrderScanned | ReferralScanned | ScanRejected | SourceProblem
