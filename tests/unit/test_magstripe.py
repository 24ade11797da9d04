"""Magnetic stripes as keyboard-wedge readers type them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices.magstripe import Stripe, parse_stripe

VISA = "4111111111111111"
TRACK1 = f"%B{VISA}^SMITH/JOHN Q^2512101000000000000?"
TRACK2 = f";{VISA}=25121010000000000000?"


def test_track_1_keeps_the_format_code_and_number_and_drops_the_name() -> None:
    stripe = parse_stripe(TRACK1)
    assert stripe == Stripe(track=1, format_code="B", number=VISA)
    assert "SMITH" not in repr(stripe)
    assert not any("SMITH" in str(getattr(stripe, name)) for name in ("track", "format_code", "number"))


def test_track_2() -> None:
    assert parse_stripe(TRACK2) == Stripe(track=2, format_code=None, number=VISA)


@pytest.mark.parametrize(
    "burst",
    [TRACK1 + TRACK2, TRACK1 + "\r" + TRACK2 + "\r", TRACK1 + "A" + TRACK2 + "3\r\n", TRACK1 + ";" + TRACK2],
    ids=["back to back", "CR after each", "LRC after each", "LRC that is a semicolon"],
)
def test_both_tracks_in_one_burst(burst: str) -> None:
    assert parse_stripe(burst) == Stripe(track=1, format_code="B", number=VISA)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (";2991000000016?", Stripe(2, None, "2991000000016")),
        (";2991000000016=49120000?\r", Stripe(2, None, "2991000000016")),
        ("%C2991000000016^LOYALTY^?", Stripe(1, "C", "2991000000016")),
        ("%M2991000000016?", Stripe(1, "M", "2991000000016")),
        ("%Zsomething odd?;2991000000016?", Stripe(1, "Z", "2991000000016")),
    ],
)
def test_loyalty_card_stripes(text: str, expected: Stripe) -> None:
    assert parse_stripe(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "2991000000016", "%E?", ";E?", "%B4111^no end sentinel", ";4111111111111111=2512", "%?", ";?",
     "hello", "%b4111111111111111^A^1?", TRACK2 + "xx", ";12345678901234567890=1?"],
)
def test_what_is_not_a_stripe(text: str) -> None:
    assert parse_stripe(text) is None


def test_repr_and_str_show_only_the_last_four_digits() -> None:
    stripe = parse_stripe(TRACK1)
    assert stripe is not None
    for text in (repr(stripe), str(stripe), f"{stripe}", repr([stripe])):
        assert VISA not in text and VISA[:-4] not in text
        assert "1111" in text
    assert stripe.last_four == "1111"


@given(st.text(max_size=600))
def test_any_text_never_raises(text: str) -> None:
    result = parse_stripe(text)
    assert result is None or isinstance(result, Stripe)


@given(st.from_regex(r"[%;][0-9A-Z^=?;% ]{0,80}", fullmatch=True))
def test_stripe_like_noise_never_raises(text: str) -> None:
    parse_stripe(text)
