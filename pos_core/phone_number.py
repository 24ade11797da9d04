"""Where a phone number is parsed: any common format in, E.164 out, with a reason when it is not one."""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat


class InvalidPhoneNumber(ValueError):
    """Text that is not a valid phone number; ``str()`` says what to do about it."""


@dataclass(frozen=True, slots=True)
class PhoneNumber:
    e164: str
    national: str
    international: str


_PARSE_PROBLEMS = {
    NumberParseException.INVALID_COUNTRY_CODE: "the country code is not one we know",
    NumberParseException.NOT_A_NUMBER: "that is not a phone number",
    NumberParseException.TOO_SHORT_AFTER_IDD: "the number is too short",
    NumberParseException.TOO_SHORT_NSN: "the number is too short",
    NumberParseException.TOO_LONG: "the number is too long",
}


def parse_phone(text: str, region: str) -> PhoneNumber:
    """Parse a number typed or read in any common format, with ``region`` as the default country.

    Raises InvalidPhoneNumber with a sentence a cashier can act on.
    """
    cleaned = text.strip()
    if not cleaned:
        raise InvalidPhoneNumber("Enter the customer's phone number.")
    if len(cleaned) > 40:
        raise InvalidPhoneNumber("That is too long for a phone number. Check the digits.")
    try:
        number = phonenumbers.parse(cleaned, region.upper())
    except NumberParseException as error:
        problem = _PARSE_PROBLEMS.get(error.error_type, "it could not be read")
        raise InvalidPhoneNumber(f"Not a phone number: {problem}. Check the digits.") from None
    if not phonenumbers.is_valid_number(number):
        if len(str(number.national_number)) < 7:
            reason = "it is too short"
        else:
            reason = "no such number exists"
        raise InvalidPhoneNumber(
            f"Not a valid number ({reason}). Check the digits, or start with + and the country"
            " code for a number from abroad."
        )
    return PhoneNumber(
        e164=phonenumbers.format_number(number, PhoneNumberFormat.E164),
        national=phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL),
        international=phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL),
    )


def format_as_you_type(text: str, region: str) -> str:
    """Group what has been typed so far the way the number is written (``020 7946 0``)."""
    formatter = phonenumbers.AsYouTypeFormatter(region.upper())
    formatted = ""
    for char in text:
        if char.isdigit() or (char == "+" and not formatted):
            formatted = formatter.input_digit(char)
    return formatted
