"""The one classifier every device shares: every kind, every refusal, and properties over any text."""

from __future__ import annotations

import json

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from devices.identification import Identification
from devices.check_digits import ascii_digits
from devices.payload import Payload, PayloadRules, classify, classify_command, mask_card_numbers, shown_code

RULES = PayloadRules()
VISA = "4111111111111111"
NOT_PRODUCT = "That code is not a product or a loyalty card. Scan it again or type the number under the barcode."
PAYMENT = "This is a payment card: please use the payment terminal."


def gs1_check(body: str) -> str:
    padded = body.rjust(17, "0")
    return str(-sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(padded)) % 10)


def luhn_check(body: str) -> str:
    for check in "0123456789":
        total = 0
        for index, char in enumerate(reversed(body + check)):
            value = int(char) * (2 if index % 2 else 1)
            total += value - 9 if value > 9 else value
        if total % 10 == 0:
            return check
    raise AssertionError("unreachable")


def gtin_ok(digits: str) -> bool:
    return len(digits) in (8, 12, 13, 14) and gs1_check(digits[:-1]) == digits[-1]


def all_text(payload: Payload) -> str:
    return "\n".join([repr(payload), str(payload), json.dumps(payload.to_json(), ensure_ascii=False),
                      payload.shown, payload.message])


# -- products ------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["96385074", "036000291452", "5012345678900", "2000010010004", "10012345678902",
                                  "1001", "7", "12345678"])
def test_products(code: str) -> None:
    payload = classify(code)
    assert (payload.kind, payload.product_code, payload.identification, payload.quantity) == ("product", code, None, 1)


def test_a_quantity_prefix_is_the_code_with_a_count() -> None:
    payload = classify("3*1001")
    assert (payload.kind, payload.product_code, payload.quantity) == ("product", "1001", 3)


def test_scanner_line_endings_are_ignored() -> None:
    assert classify("5012345678900\r\n").product_code == "5012345678900"


# -- loyalty cards -------------------------------------------------------------------------------


@pytest.mark.parametrize("number", [f"2991000000{n:02d}" for n in range(1, 11)])
def test_the_demo_cards(number: str) -> None:
    card = number + gs1_check(number)
    payload = classify(card, source="scanner")
    assert payload.kind == "loyalty_card"
    assert payload.identification == Identification("card", card, "Card •••• " + card[-4:], "scanner")
    assert payload.product_code is None


def test_a_loyalty_number_with_a_wrong_check_digit_is_a_misread_not_a_product() -> None:
    payload = classify("2991000000017")
    assert payload.kind == "unknown" and payload.identification is None
    assert "misread" in payload.message.lower() and "scan again" in payload.message.lower()


def test_configured_ranges_are_prefixes() -> None:
    rules = PayloadRules(loyalty_card_prefixes=("27", "28"), loyalty_card_lengths=(12, 13))
    twelve = "27000000004" + gs1_check("27000000004")
    assert classify(twelve, rules).kind == "loyalty_card"
    assert classify("2991000000016", rules).kind == "product"  # no longer ours: an in-store EAN


@pytest.mark.parametrize("prefix", ["29a1", "", "２９"])
def test_prefixes_must_be_digits(prefix: str) -> None:
    with pytest.raises(ValueError):
        PayloadRules(loyalty_card_prefixes=(prefix,))


@pytest.mark.parametrize("stripe", [";2991000000016?", ";2991000000016=4912?\r", "%C2991000000016^^?"])
def test_a_loyalty_stripe(stripe: str) -> None:
    payload = classify(stripe)
    assert payload.kind == "loyalty_card"
    assert payload.identification == Identification("card", "2991000000016", "Card •••• 0016", "stripe")


def test_a_loyalty_stripe_misread() -> None:
    payload = classify(";2991000000017?")
    assert payload.kind == "unknown" and "swipe it again" in payload.message


# -- payment cards -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [VISA, "4111 1111 1111 1111", "4111-1111-1111-1111", f"%B{VISA}^SMITH/JOHN^2512101000?",
     f";{VISA}=2512101000?", f"%B{VISA}^SMITH/JOHN^2512101000?;{VISA}=2512101000?\r",
     f"%B{VISA}^SMITH/JOHN^25121", f"card: {VISA} thanks", "%B1234^SMITH/JOHN^2512?"],
)
def test_payment_cards_are_refused_and_only_the_last_four_digits_kept(text: str) -> None:
    payload = classify(text)
    assert payload.kind == "payment_card"
    assert payload.identification is None and payload.product_code is None
    assert payload.message == PAYMENT
    assert payload.shown.startswith("•••• ") and len(payload.shown) == 9
    assert "411111111111" not in all_text(payload) and "SMITH" not in all_text(payload)
    command = classify_command(text)
    assert command["kind"] == "payment_card" and command["value"] is None and command["shown"] == payload.shown


# -- app codes and wallet passes -----------------------------------------------------------------

TOKEN = "LQR1.MFRWGXZXMYZWCOLDGJSTKMLEGA.1767225600.ABCDEFGHIJKLMNOP.ABCDEFGHIJKLMNOPQRSTUVWXYZ234567AB"


def test_a_signed_app_token() -> None:
    payload = classify(TOKEN, source="camera")
    assert payload.kind == "app_qr"
    assert payload.identification == Identification("qr", TOKEN, "App code", "camera")
    assert TOKEN not in payload.shown


@pytest.mark.parametrize("text", ["LQR1.", "LQR1.abc def", "LQR1." + "A" * 200, "LQR1.A.1.A.A"])
def test_a_garbled_app_token(text: str) -> None:
    payload = classify(text)
    assert payload.kind == "unknown" and "refresh" in payload.message


@pytest.mark.parametrize("text", ["LOYALTY:ZSKRIOZAAF25G5FS", "loyalty:zskriozaaf25g5fs"])
def test_the_static_card_payload(text: str) -> None:
    payload = classify(text)
    assert payload.kind == "app_qr"
    assert payload.identification == Identification("qr", "LOYALTY:ZSKRIOZAAF25G5FS", "Loyalty QR code", "scan")


@pytest.mark.parametrize(
    ("text", "method", "value"),
    [
        ("https://loyalty.example.com/pass/2991000000016", "card", "2991000000016"),
        ("https://loyalty.example.com/pass/2991000000016/", "card", "2991000000016"),
        ("https://loyalty.example.com/p?card=2991000000016&lang=en", "card", "2991000000016"),
        ("https://loyalty.example.com/p?card=LOYALTY%3AZSKRIOZAAF25G5FS", "qr", "LOYALTY:ZSKRIOZAAF25G5FS"),
        (f"loyalty:pass?card={TOKEN}", "qr", TOKEN),
    ],
)
def test_wallet_passes(text: str, method: str, value: str) -> None:
    payload = classify(text)
    assert payload.kind == "wallet_pass"
    assert payload.identification is not None
    assert (payload.identification.method, payload.identification.value) == (method, value)
    assert payload.identification.source == "wallet"


@pytest.mark.parametrize("text", ["https://example.com/", "https://example.com/pass/1001", "mailto:someone@example.com"])
def test_other_links_are_unknown(text: str) -> None:
    payload = classify(text)
    assert payload.kind == "unknown" and "link" in payload.message


def test_a_pass_whose_card_number_is_misread() -> None:
    assert "misread" in classify("https://x.example/pass/2991000000017").message.lower()


# -- phones --------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["020 7946 0001", "02079460001", "+44 20 7946 0001", "0044 (0)20-7946-0001",
                                  "(020) 7946 0001"])
def test_phone_numbers(text: str) -> None:
    payload = classify(text, source="keyboard")
    assert payload.kind == "phone"
    assert payload.identification == Identification("phone", "+442079460001", "020 7946 0001", "keyboard")


def test_the_region_decides_national_numbers() -> None:
    payload = classify("(201) 555-0123", PayloadRules(region="US"))
    assert payload.kind == "phone" and payload.identification is not None
    assert payload.identification.value == "+12015550123"


@pytest.mark.parametrize("code", ["01234565", "012345678905", "0207946000105"])
def test_product_codes_that_look_like_phone_numbers_stay_products(code: str) -> None:
    assert gtin_ok(code)
    assert classify(code).kind == "product"


# -- unknown and hostile text --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "Nothing was read"), ("   \r\n", "Nothing was read"), ("hello", NOT_PRODUCT), ("123456789", NOT_PRODUCT),
     ("%E?", "swipe it again"), ("A" * 600, "too long"), ("ORD-", "pickup code could not be read"),
     ("REF-", "")],
)
def test_unknown_reads_say_what_to_do(text: str, message: str) -> None:
    payload = classify(text)
    assert payload.kind == "unknown" and payload.identification is None
    assert message in payload.message
    assert len(payload.message) <= 120  # what a status line holds

@pytest.mark.parametrize(
    "text",
    ["[bold red]FREE[/]", "\x1b[31mred\x1b[0m", "\x1b]0;title\x07x", "a\x00b\x07c", "\u202eevil", "[link=http://x]y[/link]"],
)
def test_markup_escapes_and_controls_are_not_echoed(text: str) -> None:
    payload = classify(text)
    assert payload.kind == "unknown"
    for field in (payload.shown, payload.message):
        assert field.isprintable() and "[" not in field and "\x1b" not in field


# -- properties ----------------------------------------------------------------------------------

hostile = st.one_of(
    st.text(max_size=700),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=200),
    st.builds(lambda a, b: f"[{a}]{b}[/{a}]", st.text(max_size=20), st.text(max_size=40)),
    st.builds(lambda n, t: f"\x1b[{n}m{t}\x1b[0m", st.integers(0, 200), st.text(max_size=40)),
    st.text(alphabet="\x00\x01\x07\x1b\x7f\x9b\r\n\t[]\\%;?^=+0123456789", max_size=200),
    st.just("x" * 4096),
    st.just("1" * 4096),
)


@settings(max_examples=400)
@given(hostile)
def test_any_text_classifies_and_shows_only_printable_markup_free_text(text: str) -> None:
    payload = classify(text)
    assert isinstance(payload, Payload)
    json.dumps(payload.to_json())
    json.dumps(classify_command(text))
    for field in (payload.shown, payload.message):
        assert len(field) <= 120
        assert field == "" or field.isprintable()
        assert "[" not in field and "\x1b" not in field and "\x00" not in field


@st.composite
def pans(draw: st.DrawFn) -> str:
    length = draw(st.integers(13, 19))
    body = draw(st.sampled_from("3456")) + draw(st.text(alphabet="0123456789", min_size=length - 2, max_size=length - 2))
    return body + luhn_check(body)


def assert_only_last_four(text: str, pan: str) -> None:
    payload = classify(text)
    assert payload.kind == "payment_card"
    assert payload.shown == "•••• " + pan[-4:]
    text = all_text(payload) + json.dumps(classify_command(text), ensure_ascii=False)
    assert pan[:-4] not in text
    for start in range(len(pan) - 8):  # no 8 digits in a row from the card, anywhere
        assert pan[start : start + 8] not in text


@given(pans(), st.text(alphabet=st.characters(whitelist_categories=("L", "Zs")), max_size=20))
def test_a_pan_on_a_stripe_never_escapes(pan: str, name: str) -> None:
    name = name.replace("^", "")[:26]
    for text in (f"%B{pan}^{name}^2512101?", f";{pan}=2512101000?", f"%B{pan}^{name}^2512101?;{pan}=2512?\r\n"):
        assert_only_last_four(text, pan)


@given(pans())
def test_a_bare_pan_never_escapes(pan: str) -> None:
    # A 13 or 14 digit number with a right GTIN check digit is a product by design (see devices/payload.py).
    assume(not gtin_ok(pan))
    assert_only_last_four(pan, pan)
    assert_only_last_four(" ".join(pan[i : i + 4] for i in range(0, len(pan), 4)), pan)


@given(pans(), st.text(alphabet="abc XYZ[]:", max_size=10))
def test_a_pan_inside_other_text_never_escapes(pan: str, around: str) -> None:
    assume(not gtin_ok(pan))
    assert_only_last_four(f"{around} {pan} {around}", pan)


@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_every_valid_ean13_is_a_product(body: str) -> None:
    assume(not body.startswith("2991"))
    code = body + gs1_check(body)
    payload = classify(code)
    assert (payload.kind, payload.product_code) == ("product", code)


@given(st.text(alphabet="0123456789", min_size=1, max_size=8))
def test_every_short_sku_is_a_product_never_a_phone(code: str) -> None:
    assert classify(code).kind == "product"


@given(st.sampled_from([8, 12, 13, 14]), st.data())
def test_no_valid_gtin_is_ever_a_phone(length: int, data: st.DataObject) -> None:
    body = data.draw(st.text(alphabet="0123456789", min_size=length - 1, max_size=length - 1))
    assert classify(body + gs1_check(body)).kind in ("product", "loyalty_card")


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_every_valid_loyalty_number_is_a_loyalty_card(tail: str) -> None:
    card = "2991" + tail[:8]
    card += gs1_check(card)
    payload = classify(card)
    assert payload.kind == "loyalty_card"
    assert payload.identification is not None and payload.identification.value == card
    assert classify(f";{card}?").kind == "loyalty_card"


# -- card numbers however they are written, and the codes echoed back ---------------------------------

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
# Both an EAN-13 / GTIN-14 with a right check digit and a Luhn-valid number: read as a product.
GTIN_AND_LUHN = ["3600000000061", "36000000000081"]


@pytest.mark.parametrize("text", [
    "4111.1111.1111.1111", "4111/1111/1111/1111", "4111_1111_1111_1111", "4111,1111,1111,1111",
    "4111+1111+1111+1111", "4111 - 1111 - 1111 - 1111", "4111\u00a01111\u00a01111\u00a01111",
    "4111\u20131111\u20131111\u20131111", VISA.translate(FULL_WIDTH),
    "４１１１－１１１１．１１１１／１１１１", "٤١١١١١١١١١١١١١١١", "card 4111.1111.1111.1111 please",
    "4111._1111", "411111111111111" "1",
])
def test_a_card_number_with_any_separator_or_digits_is_refused(text: str) -> None:
    if text == "4111._1111":  # two separators between groups still join them; this is too short for a card
        assert classify(text).kind != "payment_card"
        return
    assert_only_last_four(text, VISA)


@pytest.mark.parametrize("code", GTIN_AND_LUHN)
def test_a_product_code_that_is_also_a_card_number_is_looked_up_but_never_echoed(code: str) -> None:
    payload = classify(code)
    assert (payload.kind, payload.product_code) == ("product", code)  # the till must still find the product
    assert payload.shown == shown_code(code) == "•••• " + code[-4:]
    command = classify_command(code)
    assert command["product_code"] == command["shown"] == "•••• " + code[-4:]
    assert code not in json.dumps(command) + json.dumps(payload.to_json())
    assert mask_card_numbers(f"No product has the code {code}.") == f"No product has the code •••• {code[-4:]}."


@pytest.mark.parametrize("separator", [" ", "-", ".", "/", "_", ",", "+", "\u00a0", "\u2212", "．", "／", "＿", "，"])
def test_mask_card_numbers_finds_them_whatever_separates_the_groups(separator: str) -> None:
    for pan in (VISA, "378282246310005", "6011000990139424", "30569309025904", "4111111111119"):
        grouped = separator.join(pan[i : i + 4] for i in range(0, len(pan), 4))
        for written in (grouped, grouped.translate(FULL_WIDTH)):
            assert mask_card_numbers(f"code {written}!") == f"code •••• {pan[-4:]}!"
            assert pan[:8] not in shown_code(written) and shown_code(written) == f"•••• {pan[-4:]}"


def test_mask_card_numbers_leaves_other_numbers_alone() -> None:
    for text in ["5000112546231", "1001", "3*1001", "020 7946 0001", "R-1234", "4111 1111 1112", "12345678901"]:
        assert mask_card_numbers(text) == text
    # A longer run is masked when any 12-19 digit stretch of it passes Luhn: safe, if eager.
    assert mask_card_numbers("code 9 4111111111111111 9.") == "code •••• 1111."
    assert mask_card_numbers("941111111111111119") == "•••• 1111"
    assert masked_twice("4111111111111111 and 5500005555555559") == "•••• 1111 and •••• 5559"


def masked_twice(text: str) -> str:
    once = mask_card_numbers(text)
    assert mask_card_numbers(once) == once
    return once


def test_shown_code_is_printable_markup_free_and_short() -> None:
    assert shown_code("\x1b[31m[b]ABC\x00\n123 4") == "(b)ABC123 4"
    assert shown_code("4111\x001111\x1b[0m1111 1111") == "•••• 1111"  # what cleaning joins is masked too
    assert len(shown_code("X" * 500)) == 40


SEPARATORS = st.sampled_from([" ", "-", ".", "/", "_", ",", "+", "", "\u3000", "－", "．", "／"])


@given(pans(), st.lists(SEPARATORS, min_size=18, max_size=18), st.booleans())
def test_a_card_number_never_escapes_mask_card_numbers(pan: str, separators: list[str], full_width: bool) -> None:
    written = pan[0] + "".join(sep + digit for sep, digit in zip(separators, pan[1:]))
    if full_width:
        written = written.translate(FULL_WIDTH)
    for shown in (mask_card_numbers(f"x {written} y"), shown_code(written)):
        digits = "".join(ch for ch in ascii_digits(shown) if ch.isdigit())
        assert digits == pan[-4:], shown
