import pytest

from devices.phone_entry import PhoneEntry
from pos_core.phone_number import InvalidPhoneNumber, format_as_you_type, parse_phone


@pytest.mark.parametrize(
    "text",
    ["020 7946 0123", "+44 20 7946 0123", "0044 (0)20-7946-0123", "(020) 7946 0123", "02079460123", "+442079460123"],
)
def test_common_formats_normalise_to_e164(text: str) -> None:
    assert parse_phone(text, "GB").e164 == "+442079460123"


def test_foreign_number_with_country_code() -> None:
    assert parse_phone("+1 202 555 0143", "GB").e164 == "+12025550143"


@pytest.mark.parametrize(
    ("text", "words"),
    [("", "Enter the customer's phone number"), ("12345", "too short"), ("07700 900123", "no such number"),
     ("abc", "not a phone number"), ("9" * 50, "too long")],
)
def test_invalid_numbers_say_what_to_do(text: str, words: str) -> None:
    with pytest.raises(InvalidPhoneNumber) as error:
        parse_phone(text, "GB")
    assert words.lower() in str(error.value).lower()


def test_as_you_type() -> None:
    assert format_as_you_type("02079460", "GB") == "020 7946 0"
    assert format_as_you_type("020-7946-0123", "GB") == "020 7946 0123"


def test_phone_entry_device_keys_and_read() -> None:
    entry = PhoneEntry("GB")
    for key in "0207946012x3":
        entry.press(key)
    entry.press("backspace")
    entry.press("4")
    assert entry.keys == "02079460124"
    assert entry.shown == "020 7946 0124"
    read = entry.read()
    assert (read.method, read.value, read.shown) == ("phone", "+442079460124", "020 7946 0124")


def test_phone_entry_plus_only_first() -> None:
    entry = PhoneEntry("GB")
    assert entry.set_text("+44+20") == "+44 20"
    entry.press("clear")
    with pytest.raises(InvalidPhoneNumber):
        entry.read()
