"""GS1 mod-10 and Luhn check digits."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices.check_digits import gs1_mod10_ok, gtin_check_digit_ok, luhn_ok


def gs1_check(body: str) -> str:
    """Independent of the module: pad to 17 digits and weight 3/1 from the left, as GS1 prints it."""
    padded = body.rjust(17, "0")
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(padded))
    return str(-total % 10)


@pytest.mark.parametrize(
    "code",
    ["96385074", "036000291452", "5012345678900", "4006381333931", "2000010010004", "10012345678902", "2991000000016"],
)
def test_real_gtins_pass(code: str) -> None:
    assert gtin_check_digit_ok(code)


@pytest.mark.parametrize(
    "code",
    ["96385075", "036000291453", "5012345678901", "501234567891", "12345", "123456789012345", "",
     "50123456789O0", "５０１２３４５６７８９００", "501234567890²", " 5012345678900"],
)
def test_wrong_check_digits_lengths_and_characters_fail(code: str) -> None:
    assert not gtin_check_digit_ok(code)


@given(st.text(alphabet="0123456789", min_size=1, max_size=17), st.data())
def test_gs1_matches_the_padded_rule_and_every_other_digit_fails(body: str, data: st.DataObject) -> None:
    check = gs1_check(body)
    assert gs1_mod10_ok(body + check)
    wrong = data.draw(st.sampled_from([d for d in "0123456789" if d != check]))
    assert not gs1_mod10_ok(body + wrong)
    assert gtin_check_digit_ok(body + check) == (len(body) + 1 in (8, 12, 13, 14))


@pytest.mark.parametrize("pan", ["4111111111111111", "5555555555554444", "378282246310005", "6011111111111117",
                                 "4222222222222", "79927398713"])
def test_luhn_accepts_known_numbers(pan: str) -> None:
    assert luhn_ok(pan)


@pytest.mark.parametrize("pan", ["4111111111111112", "79927398710", "", "0", "4111-1111-1111-1111", "٤١١١١١١١١١١١١١١١"])
def test_luhn_refuses_others(pan: str) -> None:
    assert not luhn_ok(pan)


@given(st.text(alphabet="0123456789", min_size=12, max_size=18), st.integers(min_value=0, max_value=17), st.integers(1, 9))
def test_luhn_catches_every_single_digit_error(pan_body: str, position: int, delta: int) -> None:
    for check in "0123456789":
        if luhn_ok(pan_body + check):
            break
    else:
        raise AssertionError("no Luhn check digit found")
    pan = pan_body + check
    position %= len(pan)
    changed = pan[:position] + str((int(pan[position]) + delta) % 10) + pan[position + 1 :]
    assert not luhn_ok(changed)
