"""What a customer carries (card, app QR code, NFC tag, phone), in the one form it is stored in."""

from __future__ import annotations

import re
from typing import Literal

from loyalty_service.phone_numbers import normalise_phone

Method = Literal["phone", "card", "qr", "nfc"]

_CARD = re.compile(r"[0-9]{8,19}")
# UIDs are 4, 7 or 10 bytes (ISO 14443); a pair of hex digits each.
_NFC = re.compile(r"(?:[0-9A-F]{2}){4,10}")


def normalise_identifier(method: Method, value: str, region: str) -> str | None:
    """The stored form of an identifier, or None when it is malformed."""
    value = value.strip()
    if method == "phone":
        return normalise_phone(value, region)
    if method == "card":
        digits = re.sub(r"[\s-]", "", value)
        return digits if _CARD.fullmatch(digits) else None
    if method == "nfc":
        uid = re.sub(r"[\s:-]", "", value).upper()
        return uid if _NFC.fullmatch(uid) else None
    # qr: the app's payload as scanned; printable ASCII only, so a mis-scan is refused, not searched
    return value if 0 < len(value) <= 512 and value.isascii() and value.isprintable() else None
