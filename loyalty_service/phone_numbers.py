"""Phone numbers in any common format, normalised to E.164 with the programme's region."""

from __future__ import annotations

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat


def normalise_phone(text: str, region: str) -> str | None:
    """E.164, or None when the text is not a valid number."""
    if not text or len(text) > 40:
        return None
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)
