"""A click & collect order's pickup code, as the online shop e-mails it (a QR code or a Code 128
barcode) and the till reads or the cashier types it: ``ORD-`` and 20 characters of Crockford's
base32 (digits and capitals without I, L, O and U), 100 random bits the service drew, never the
order's own id. Read in any case, with spaces or dashes between groups, and with the letters
people mistake for digits (O for 0, I and L for 1) taken as those digits. Pure: no I/O."""

from __future__ import annotations

import re

PICKUP_PREFIX = "ORD-"
PICKUP_CODE_LENGTH = 20
_BODY = re.compile(r"[0-9A-HJKMNP-TV-Z]{%d}" % PICKUP_CODE_LENGTH)
_MISTAKEN = str.maketrans({"O": "0", "I": "1", "L": "1"})


def is_pickup_text(text: str) -> bool:
    """The read claims to be a pickup code (it starts ``ORD-``), right or wrong."""
    return text.strip().upper().startswith(PICKUP_PREFIX)


def pickup_code(text: str) -> str | None:
    """The pickup code in ``text`` as the service keeps it (``ORD-`` and 20 capitals), or None."""
    read = text.strip().upper()
    if not read.startswith(PICKUP_PREFIX):
        return None
    body = re.sub(r"[\s\-]", "", read[len(PICKUP_PREFIX):]).translate(_MISTAKEN)
    return PICKUP_PREFIX + body if _BODY.fullmatch(body) else None
