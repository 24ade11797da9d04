"""How identify values are normalised before they are looked up."""

from __future__ import annotations

import pytest

from loyalty_service.accounts import display_name
from loyalty_service.identifiers import normalise_identifier
from loyalty_service.phone_numbers import normalise_phone


@pytest.mark.parametrize("text", ["020 7946 0123", "+44 20 7946 0123", "0044 (0)20-7946-0123", "020-7946-0123",
                                  "+442079460123", "  (020) 7946 0123 "])
def test_phone_numbers_in_common_formats_become_e164(text: str) -> None:
    assert normalise_phone(text, "GB") == "+442079460123"


@pytest.mark.parametrize("text", ["", "12345", "07700 900123", "020 7946 012", "phone", "+44 20 7946 0123 ext. 9" * 3])
def test_impossible_phone_numbers_are_refused(text: str) -> None:
    assert normalise_phone(text, "GB") is None


def test_the_region_decides_national_numbers() -> None:
    assert normalise_phone("(201) 555-0123", "US") == "+12015550123"
    assert normalise_phone("(201) 555-0123", "GB") == "+442015550123"


@pytest.mark.parametrize(("method", "value", "stored"), [
    ("card", "2991000000016", "2991000000016"),
    ("card", " 2991 0000-0001 6 ", "2991000000016"),
    ("card", "2991-ABC", None),
    ("card", "２９９１０００００００１６", None),  # full-width digits are not a card number
    ("card", "1234567", None),
    ("nfc", "04:f5:11:7d:f9:17:05", "04F5117DF91705"),
    ("nfc", "04-F5-11-7D", "04F5117D"),
    ("nfc", "04F5117DF917", "04F5117DF917"),
    ("nfc", "04F5117DF9170", None),  # half a byte
    ("nfc", "04G5117D", None),
    ("qr", "  LOYALTY:ZSKRIOZAAF25G5FS\r\n", "LOYALTY:ZSKRIOZAAF25G5FS"),
    ("qr", "", None),
    ("qr", "LOYALTY:\x00", None),
    ("qr", "LOYALTY:é", None),
    ("phone", "+44 20 7946 0001", "+442079460001"),
])
def test_identifiers_are_normalised_or_refused(method: str, value: str, stored: str | None) -> None:
    assert normalise_identifier(method, value, "GB") == stored  # type: ignore[arg-type]


@pytest.mark.parametrize(("name", "shown"), [("Sam Taylor", "Sam T."), ("Mary Jane van der berg", "Mary B."),
                                             ("Cher", "Cher"), ("  ", "")])
def test_display_name_is_a_first_name_and_an_initial(name: str, shown: str) -> None:
    assert display_name(name) == shown
