"""A member's referral code as a till reads it from a scan: ``REF-`` and the code (``REF-ABCD-EFGH``,
as a member's app may show it). Pure: no I/O. The service alone knows whether a member has it;
the till only puts it into the enrolment form's field."""

from __future__ import annotations

import re

REFERRAL_PREFIX = "REF-"
# The service's codes: 8 characters that cannot be misread (no 0/O, 1/I/L), shown ABCD-EFGH.
_CODE = re.compile(r"([2-9A-HJKMNP-Z]{4})-?([2-9A-HJKMNP-Z]{4})")


def referral_code_from_scan(text: str) -> str | None:
    """The code in ``REF-…`` as scanned (any case, spaces around), written ``ABCD-EFGH``; else None."""
    read = text.strip().upper()
    if not read.startswith(REFERRAL_PREFIX):
        return None
    match = _CODE.fullmatch(read[len(REFERRAL_PREFIX):])
    return f"{match.group(1)}-{match.group(2)}" if match else None
