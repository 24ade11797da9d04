"""What any device reports once it has read who the customer is."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Method = Literal["phone", "card", "qr", "nfc"]


@dataclass(frozen=True, slots=True)
class Identification:
    """A read that can go to ``POST /v1/identify``: ``method`` and ``value`` as the contract has them.

    ``shown`` is what may appear on screen (a formatted number, never a full card number).
    """

    method: Method
    value: str
    shown: str
    source: str
