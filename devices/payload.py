"""The one classifier every source shares: scanner, camera, stripe reader, NFC NDEF text, typed text.

``classify(text)`` says what was read, as a ``Payload``: a product code, a way to identify the customer
(an ``Identification`` ready for ``POST /v1/identify``), or a refusal with plain words saying what to do
next. It is pure: no I/O, no clock, no Textual.

Kinds, in the order they are decided:

- ``payment_card``: a stripe with track-1 format code ``B``, a track-2 number that passes Luhn, or a
  12–19 digit Luhn-valid number anywhere in the text, unless it is one of our loyalty numbers. The
  digits may be grouped by spaces, dashes, dots, slashes, underscores, commas or plus signs (ASCII or
  full-width), and be any script's digits (full-width ``４１１１…`` is read as ``4111…``). Refused;
  the object keeps only the last four digits (``•••• 1234``), so a card number cannot reach a log.
  A bare 13 or 14 digit number whose GTIN check digit is right is read as a product first: scanners
  read product barcodes all day, and payment cards carry no barcode.
- ``loyalty_card``: a number (printed barcode, stripe, or typed) with a configured prefix and length
  and a right GS1 mod-10 check digit. Ranges are expressed as prefixes: ``("29910", "29911")``.
  A loyalty-prefixed number with a wrong check digit is a misread, not a product.
- ``app_qr``: the app's signed, expiring token ``LQR1.<account>.<expiry>.<nonce>.<signature>`` (checked
  by the service, which alone holds the key), or a card's static ``LOYALTY:<16 base32 characters>``.
- ``wallet_pass``: an Apple or Google Wallet pass. Its barcode (QR, PDF417, Aztec or Code 128) message
  may carry (1) the loyalty card number, (2) an ``LQR1.`` token, (3) a ``LOYALTY:`` payload, or (4) a
  URL or URI whose ``card=`` query parameter, or else whose last path segment, carries one of those,
  e.g. ``https://loyalty.example.com/pass/2991000000016`` or ``loyalty:pass?card=LOYALTY%3A…``.
  Forms 1–3 cannot be told from a card or the app, and identify the same way, so they classify as
  ``loyalty_card`` / ``app_qr``; form 4 is ``wallet_pass`` with the inner identification.
- ``product``: an EAN-8, UPC-A, EAN-13 or GTIN-14 with a right check digit, or a short SKU of 1–8
  digits; ``3*1001`` (a count, ``*``, the code) is the product with ``quantity`` 3.
- ``receipt``: a receipt number ``R-<sale id>`` as our receipts print it (pos_core.receipt), for a
  return; ``receipt_sale_id`` is the sale's id in lower case and ``shown`` the number.
- ``order``: a click & collect order's pickup code ``ORD-<20 base32 characters>`` (pos_core.pickup_code)
  as the shop's e-mail carries it; ``pickup_code`` is the code as the service keeps it. A read that
  starts ``ORD-`` but is not a whole code is refused with words saying so, never taken for a product.
- ``referral``: a member's referral code ``REF-ABCD-EFGH`` (pos_core.referral_code), which a new
  member's enrolment form takes; ``referral_code`` is the code (``ABCD-EFGH``).
- ``phone``: a valid number for the region that is none of the above, so product codes never become
  phone numbers. The value is E.164.
- ``unknown``: everything else, with a message. ``shown`` is then a short printable preview: control
  characters, ANSI escapes and NULs are dropped, square brackets become parentheses (so Rich/Textual
  markup cannot style or hide anything), long digit runs are masked, and the length is capped.

Whatever echoes a code back to a person ("No product has the code …") shows ``shown_code(code)``:
printable, markup-free, capped, with every card number in it (``mask_card_numbers``) masked to its
last four digits. A bare EAN-13 may pass Luhn too (``3600000000008`` is both): it is looked up as a
product, and if the store has no such product it is echoed masked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any, Literal
from urllib.parse import parse_qs, unquote, urlsplit

from devices.check_digits import GTIN_LENGTHS, ascii_digits, gs1_mod10_ok, gtin_check_digit_ok, luhn_ok
from devices.identification import Identification
from devices.magstripe import Stripe, masked, parse_stripe
from pos_core.basket import MAX_QUANTITY
from pos_core.phone_number import InvalidPhoneNumber, parse_phone
from pos_core.pickup_code import is_pickup_text, pickup_code
from pos_core.receipt import RECEIPT_PREFIX, receipt_number, sale_id_from_receipt
from pos_core.referral_code import REFERRAL_PREFIX, referral_code_from_scan

Kind = Literal[
    "product", "loyalty_card", "app_qr", "wallet_pass", "payment_card", "phone", "receipt", "order", "referral",
    "unknown",
]

PAYMENT_CARD = "This is a payment card: please use the payment terminal."
NOT_PRODUCT = "That code is not a product or a loyalty card. Scan it again or type the number under the barcode."
MISREAD = "Misread: scan again."
STRIPE_MISREAD = "The card could not be read: swipe it again, or type the number on the card."
OTHER_CARD = "That card is not one of our loyalty cards. Ask for the loyalty card, app or phone number."
BAD_APP_CODE = "That app code could not be read: ask the customer to refresh the code in the app, then scan again."
LINK = "That is a web link, not a loyalty pass. Ask the customer for the loyalty card or the pass in their wallet."
EMPTY = "Nothing was read. Scan again or type the code."
BAD_PICKUP_CODE = ("That pickup code could not be read: scan it again, or type it as the e-mail shows it"
                   " (ORD- and 20 letters/digits).")
TOO_LONG = "That is too long to be a barcode or a card. Scan again or type the number under the barcode."

SHOWN_LIMIT = 40
# The app token's shape (the service checks the signature and expiry); see docs/loyalty-api-v1.md.
TOKEN_MAX_LENGTH = 120
_TOKEN = re.compile(r"LQR1\.[A-Z2-7]{1,80}\.[0-9]{1,12}\.[A-Z2-7]{16}\.[A-Z2-7]{26,52}")
_STATIC_QR = re.compile(r"LOYALTY:[A-Z2-7]{16}")
_QUANTITY = re.compile(r"([0-9]{1,4})\*(.+)", re.DOTALL)
_DIGITS = re.compile(r"[0-9]+")
_PHONE_TEXT = re.compile(r"\+?[0-9 ().\-/]{7,30}")
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]{0,30}:\S+")
# What people and printers put between a card number's digit groups: any space, dashes and the minus
# sign, dots, slashes, underscores, commas, plus signs, middle dots, and their full-width forms.
_SEPARATOR = r"[\s\-./_,+\u00b7\u2010-\u2015\u2022\u2024\u2027\u2212\u30fb\uff0b-\uff0f\uff3f\uff65]"
# A card number typed or printed in groups (``\d`` is any script's decimal digit).
_PAN_RUN = re.compile(rf"\d(?:{_SEPARATOR}{{0,3}}\d)*")
_LONG_DIGITS = re.compile(rf"\d(?:{_SEPARATOR}?\d){{7,}}")
# Card numbers (ISO/IEC 7812) are 12 to 19 digits.
CARD_LENGTHS = range(19, 11, -1)
_ANSI = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC: titles, hyperlinks
    r"|\x1b[@-_]"  # other two-character escapes
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
)


@dataclass(frozen=True, slots=True)
class PayloadRules:
    """What this store's codes look like. Prefixes are digit strings; a range is several prefixes."""

    loyalty_card_prefixes: tuple[str, ...] = ("2991",)
    loyalty_card_lengths: tuple[int, ...] = (13,)
    region: str = "GB"
    max_length: int = 512

    def __post_init__(self) -> None:
        for prefix in self.loyalty_card_prefixes:
            if not (prefix.isascii() and prefix.isdigit()):
                raise ValueError(f"a loyalty card prefix must be digits, not {prefix!r}")
        for length in self.loyalty_card_lengths:
            if not 2 <= length <= 19:
                raise ValueError(f"a loyalty card length must be 2 to 19 digits, not {length}")
        if self.max_length < 1:
            raise ValueError("max_length must be positive")

    def is_loyalty_range(self, digits: str) -> bool:
        """The number is in our card range (whether or not its check digit is right)."""
        return len(digits) in self.loyalty_card_lengths and digits.startswith(self.loyalty_card_prefixes)


@dataclass(frozen=True, slots=True)
class Payload:
    """What a read turned out to be. Refused and unknown reads have ``identification`` None and a
    ``message``; a payment card keeps nothing of its number but the last four digits in ``shown``."""

    kind: Kind
    shown: str
    message: str = ""
    identification: Identification | None = None
    product_code: str | None = None
    quantity: int = 1
    receipt_sale_id: str | None = None
    pickup_code: str | None = None  # kind "order": ORD-… as the service keeps it
    referral_code: str | None = None  # kind "referral": ABCD-EFGH

    def to_json(self) -> dict[str, Any]:
        ident = self.identification
        return {
            "kind": self.kind,
            "method": ident.method if ident else None,
            "value": ident.value if ident else None,
            "source": ident.source if ident else None,
            "shown": self.shown,
            "message": self.message,
            # A product code may pass Luhn too (an EAN-13 can): printed, it is masked like any card.
            "product_code": mask_card_numbers(self.product_code) if self.product_code else None,
            "quantity": self.quantity,
        }


def classify(text: str, rules: PayloadRules = PayloadRules(), *, source: str = "scan") -> Payload:
    """Classify one read. ``source`` names the device (``scanner``, ``camera``, ``nfc``, ``keyboard``)."""
    if len(text) > rules.max_length:
        return _unknown(TOO_LONG, "")
    # Keyboard-wedge devices end a read with CR, LF or Tab. A full-width (IME) or other script's
    # digit is the same digit: products, cards and phones are read whatever the keyboard typed.
    read = ascii_digits(text).strip()
    if not read:
        return _unknown(EMPTY, "")
    if read.startswith(("%", ";")):
        stripe = parse_stripe(read)
        if stripe is not None:
            return _from_stripe(stripe, rules)
        return _payment_card_in(read, rules) or _unknown(STRIPE_MISREAD, _preview(read))
    return _classify_text(read, rules, source, inside_link=False)


def classify_command(text: str, rules: PayloadRules = PayloadRules()) -> dict[str, Any]:
    """The JSON object ``python -m devices classify TEXT`` prints: never more of a payment card than
    its last four digits."""
    payload = classify(text, rules, source="command")
    data = payload.to_json()
    answer = {key: data[key] for key in ("kind", "method", "value", "shown", "message")}
    if payload.kind == "product":
        answer["product_code"] = data["product_code"]
        answer["quantity"] = payload.quantity
    return answer


# -- the kinds ---------------------------------------------------------------------------------------


def _classify_text(read: str, rules: PayloadRules, source: str, *, inside_link: bool) -> Payload:
    upper = read.upper()
    if upper.startswith(RECEIPT_PREFIX.upper()) and not inside_link:
        sale_id = sale_id_from_receipt(read)
        if sale_id is not None:
            return Payload(kind="receipt", shown=receipt_number(sale_id), receipt_sale_id=sale_id)
    if is_pickup_text(read) and not inside_link:
        code = pickup_code(read)
        if code is not None:
            return Payload(kind="order", shown=code, pickup_code=code)
        return _unknown(BAD_PICKUP_CODE, "Order code")
    if upper.startswith(REFERRAL_PREFIX) and not inside_link:
        code = referral_code_from_scan(read)
        if code is not None:
            return Payload(kind="referral", shown=code, referral_code=code)
    if upper.startswith("LQR1."):
        if len(read) <= TOKEN_MAX_LENGTH and _TOKEN.fullmatch(upper):
            return _identified("app_qr", Identification("qr", upper, "App code", source))
        return _unknown(BAD_APP_CODE, "App code")
    if upper.startswith("LOYALTY:"):
        if _STATIC_QR.fullmatch(upper):
            return _identified("app_qr", Identification("qr", upper, "Loyalty QR code", source))
        if not any(char in read for char in "/?"):  # else a link with a loyalty: scheme, read below
            return _unknown(BAD_APP_CODE, "Loyalty QR code")
    quantity = _QUANTITY.fullmatch(read)
    if quantity is not None and not inside_link:
        count, code = int(quantity[1]), "".join(quantity[2].split())
        if _DIGITS.fullmatch(code):
            item = _from_digits(code, rules, source)
            if item.kind == "product" and 1 <= count <= MAX_QUANTITY:
                return replace(item, quantity=count)
    compact = re.sub(r"[ \-]", "", read)
    if _DIGITS.fullmatch(compact):
        return _from_digits(compact, rules, source)
    if not inside_link and _URI.fullmatch(read):
        return _from_link(read, rules, source)
    if _PHONE_TEXT.fullmatch(read):
        digits = "".join(c for c in read if c.isdigit())
        if not read.startswith("+") and gtin_check_digit_ok(digits):
            return _from_digits(digits, rules, source)
        phone = _phone(read, rules, source)
        if phone is not None:
            return phone
    return _payment_card_in(read, rules) or _unknown(NOT_PRODUCT, _preview(read))


def _from_digits(digits: str, rules: PayloadRules, source: str) -> Payload:
    if rules.is_loyalty_range(digits):
        if gs1_mod10_ok(digits):
            return _loyalty_card(digits, source)
        return _unknown(MISREAD, masked(digits))
    if len(digits) in GTIN_LENGTHS and gtin_check_digit_ok(digits):
        return Payload(kind="product", shown=shown_code(digits), product_code=digits)
    if len(digits) <= 8:
        return Payload(kind="product", shown=digits, product_code=digits)
    if 13 <= len(digits) <= 19 and luhn_ok(digits):
        return _payment_card(digits)
    return _phone(digits, rules, source) or _unknown(NOT_PRODUCT, _preview(digits))


def _from_stripe(stripe: Stripe, rules: PayloadRules) -> Payload:
    number = stripe.number
    # Format B is the payment format by definition, whatever the number looks like.
    if stripe.format_code == "B":
        return _payment_card(number)
    if rules.is_loyalty_range(number):
        if gs1_mod10_ok(number):
            return _loyalty_card(number, "stripe")
        return _unknown(STRIPE_MISREAD, masked(number))
    if luhn_ok(number) and len(number) >= 12:
        return _payment_card(number)
    return _unknown(OTHER_CARD, "Card " + masked(number))


def _from_link(read: str, rules: PayloadRules, source: str) -> Payload:
    """A wallet pass's URL or URI: ``card=`` in the query, else the path's last segment."""
    try:
        parts = urlsplit(read)
        candidates = parse_qs(parts.query).get("card", [])
    except ValueError:  # e.g. a malformed IPv6 host
        return _payment_card_in(read, rules) or _unknown(LINK, _preview(read))
    if not candidates:
        path = parts.path.rstrip("/")
        candidates = [unquote(path.rsplit("/", 1)[-1])] if path else []
    for candidate in candidates[:1]:
        inner = _classify_text(candidate.strip(), rules, source, inside_link=True)
        if inner.kind in ("loyalty_card", "app_qr") and inner.identification is not None:
            return _identified("wallet_pass", replace(inner.identification, source="wallet"))
        if inner.kind == "unknown" and inner.message in (MISREAD, BAD_APP_CODE):
            return inner
    return _payment_card_in(read, rules) or _unknown(LINK, _preview(read))


def _phone(text: str, rules: PayloadRules, source: str) -> Payload | None:
    try:
        number = parse_phone(text, rules.region)
    except InvalidPhoneNumber:
        return None
    return _identified("phone", Identification("phone", number.e164, number.national, source))


def _payment_card_in(text: str, rules: PayloadRules) -> Payload | None:
    """A refusal when the text holds a card number, so no path can echo one."""
    for match in _PAN_RUN.finditer(text):
        digits = _digits_of(match[0])
        if len(digits) > 40:
            continue
        number = _card_number_in(digits, rules)
        if number is not None:
            return _payment_card(number)
    return None


def _digits_of(run: str) -> str:
    return "".join(char for char in ascii_digits(run) if char.isdigit())


def _card_number_in(digits: str, rules: PayloadRules | None = None) -> str | None:
    """The longest Luhn-valid 12–19 digit stretch of ``digits`` (not one of our loyalty numbers)."""
    for length in CARD_LENGTHS:
        for start in range(len(digits) - length + 1):
            window = digits[start : start + length]
            if luhn_ok(window) and not (rules and rules.is_loyalty_range(window) and gs1_mod10_ok(window)):
                return window
    return None


def mask_card_numbers(text: str) -> str:
    """``text`` with every run of 12 or more digits that holds a Luhn-valid card number, however its
    groups are separated and whatever script its digits are in, replaced by ``•••• 1234``."""

    def mask(run: re.Match[str]) -> str:
        digits = _digits_of(run[0])
        number = _card_number_in(digits) if len(digits) >= 12 else None
        return masked(number) if number is not None else run[0]

    return _PAN_RUN.sub(mask, text)


def _loyalty_card(number: str, source: str) -> Payload:
    shown = "Card " + masked(number)
    return _identified("loyalty_card", Identification("card", number, shown, source))


def _payment_card(number: str) -> Payload:
    # Only the last four digits go into the object: it may be logged, shown or sent anywhere.
    return Payload(kind="payment_card", shown=masked(number), message=PAYMENT_CARD)


def _identified(kind: Kind, identification: Identification) -> Payload:
    return Payload(kind=kind, shown=identification.shown, identification=identification)


def _unknown(message: str, shown: str) -> Payload:
    return Payload(kind="unknown", shown=shown, message=message)


def shown_code(text: str) -> str:
    """What may be echoed to a person of a code that was refused or not found: card numbers masked
    to their last four digits, no control character, ANSI escape or markup bracket, at most
    ``SHOWN_LIMIT`` characters. Every "No product has the code …" must show this, never the code."""
    return _capped(_cleaned(text))


def _cleaned(text: str) -> str:
    text = mask_card_numbers(text)  # before cleaning, and again after it joined what it dropped
    text = _ANSI.sub("", text)
    text = "".join(char for char in text if char.isprintable())
    text = text.replace("[", "(").replace("]", ")").replace("\\", "/")
    return mask_card_numbers(" ".join(text.split()))


def _capped(text: str) -> str:
    return text if len(text) <= SHOWN_LIMIT else text[: SHOWN_LIMIT - 1] + "…"


def _preview(text: str) -> str:
    """A short, printable, markup-free view of what was read: as ``shown_code``, with every run of
    eight or more digits masked too (nobody needs them back from a read that was not understood)."""
    return _capped(_LONG_DIGITS.sub(lambda run: masked(run[0]), _cleaned(text)))
