"""Check digits: GS1's mod-10 (weights 3/1, from the right) for GTINs and loyalty numbers, and Luhn for
payment card numbers. Pure functions over ASCII digit strings; anything else is simply not valid."""

from __future__ import annotations

import unicodedata

GTIN_LENGTHS = (8, 12, 13, 14)  # EAN-8, UPC-A, EAN-13, GTIN-14


def _ascii_digits(text: str) -> bool:
    # str.isdigit() alone accepts '²' and Arabic-Indic digits, which int() then mishandles or refuses.
    return text.isascii() and text.isdigit()


def ascii_digits(text: str) -> str:
    """``text`` with every decimal digit of any script (full-width ０–９, Arabic-Indic, Devanagari…) as
    its ASCII digit, one character for one; everything else unchanged."""
    if text.isascii():
        return text
    return "".join(str(unicodedata.decimal(char)) if char.isdecimal() else char for char in text)


def gs1_mod10_ok(digits: str) -> bool:
    """GS1's check digit, for a number of any length of at least two digits.

    Weights 3, 1, 3, ... run from the digit before the check digit leftwards, so the same rule serves
    EAN-8 through GTIN-14 (and a store's own card numbers) without padding.
    """
    if len(digits) < 2 or not _ascii_digits(digits):
        return False
    body, check = digits[:-1], int(digits[-1])
    total = sum(int(digit) * (3 if index % 2 == 0 else 1) for index, digit in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check


def gtin_check_digit_ok(digits: str) -> bool:
    """True for an EAN-8, UPC-A (12), EAN-13 or GTIN-14 whose check digit is right."""
    return len(digits) in GTIN_LENGTHS and gs1_mod10_ok(digits)


def luhn_ok(digits: str) -> bool:
    """True when the Luhn check (ISO/IEC 7812, payment cards) holds for at least two digits."""
    if len(digits) < 2 or not _ascii_digits(digits):
        return False
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0
