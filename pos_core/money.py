"""Money: integer minor units beside an ISO 4217 code, formatted and parsed exactly (no floats)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# Symbol and number of minor-unit digits for the currencies a store is likely to run in;
# anything else is shown with its ISO code and two digits.
_CURRENCIES: dict[str, tuple[str, int]] = {
    "GBP": ("£", 2),
    "EUR": ("€", 2),
    "USD": ("$", 2),
    "CAD": ("$", 2),
    "AUD": ("$", 2),
    "CHF": ("CHF ", 2),
    "SEK": ("kr ", 2),
    "JPY": ("¥", 0),
}


def currency_code(value: object, *, optional: bool = False) -> str:
    """An ISO 4217 code as the contract sends it (three letters, upper-cased here). Anything else
    (markup, a symbol, a long string) is refused with ValueError: the code is shown on every total."""
    text = str(value or "").strip().upper()
    if optional and not text:
        return ""
    if len(text) != 3 or not text.isascii() or not text.isalpha():
        raise ValueError("a currency must be a three-letter ISO 4217 code")
    return text


def exponent(currency: str) -> int:
    """Number of minor-unit digits of ``currency`` (2 for GBP, 0 for JPY)."""
    return _CURRENCIES.get(currency.upper(), ("", 2))[1]


def format_money(minor: int, currency: str) -> str:
    """``format_money(-1234, "GBP") == "-£12.34"``; thousands are grouped."""
    symbol, digits = _CURRENCIES.get(currency.upper(), (currency.upper() + " ", 2))
    sign = "-" if minor < 0 else ""
    units, cents = divmod(abs(minor), 10**digits)
    text = f"{units:,}"
    if digits:
        text += f".{cents:0{digits}d}"
    return f"{sign}{symbol}{text}"


class InvalidAmount(ValueError):
    """Text that is not an amount of money."""


def parse_money(text: str, currency: str) -> int:
    """Parse what a cashier types ("5", "5.2", "£5.20", "1,005.00") into minor units.

    More decimals than the currency has are refused rather than rounded away.
    """
    symbol, digits = _CURRENCIES.get(currency.upper(), ("", 2))
    cleaned = text.strip().replace(",", "").replace(" ", "")
    if symbol.strip() and cleaned.startswith(symbol.strip()):
        cleaned = cleaned[len(symbol.strip()) :]
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise InvalidAmount(f"'{text}' is not an amount") from None
    if not value.is_finite() or value < 0:
        raise InvalidAmount(f"'{text}' is not an amount")
    scaled = value.scaleb(digits)
    if scaled != scaled.to_integral_value():
        raise InvalidAmount(f"'{text}' has more than {digits} decimals")
    return int(scaled.quantize(Decimal(1), rounding=ROUND_HALF_UP))
