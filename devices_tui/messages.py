"""Device events as Textual messages, posted to the app (safe from any thread)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from devices import events
from devices.identification import Identification


@dataclass
class Identified(Message):
    identification: Identification


@dataclass
class ItemScanned(Message):
    entry: str  # as the item field takes it: 1001, or 3*1001
    source: str


@dataclass
class ReceiptScanned(Message):
    sale_id: str  # lower case, from the receipt number R-<sale id>
    source: str


@dataclass
class OrderScanned(Message):
    pickup_code: str  # ORD-… as the service keeps it (pos_core.pickup_code)
    source: str


@dataclass
class ReferralScanned(Message):
    code: str  # ABCD-EFGH, from REF-ABCD-EFGH: for a new member's enrolment form
    source: str


@dataclass
class ScanRejected(Message):
    kind: str
    text: str  # what to tell the person, already safe to show
    source: str


@dataclass
class DeviceProblem(Message):
    source: str
    text: str


def message_for(event: events.DeviceEvent) -> Message:
    match event:
        case events.Identified(identification):
            return Identified(identification)
        case events.ItemScanned(source=source):
            return ItemScanned(event.entry, source)
        case events.ReceiptScanned(sale_id, _shown, source):
            return ReceiptScanned(sale_id, source)
        case events.OrderScanned(code, source):
            return OrderScanned(code, source)
        case events.ReferralScanned(code, source):
            return ReferralScanned(code, source)
        case events.ScanRejected(kind, message, _shown, source):
            return ScanRejected(kind, message, source)
        case events.SourceProblem(source, message):
            return DeviceProblem(source, message)
    raise TypeError(f"not a device event: {type(event).__name__}")
