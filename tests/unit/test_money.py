import pytest

from pos_core.money import InvalidAmount, format_money, parse_money


@pytest.mark.parametrize(
    ("minor", "currency", "text"),
    [(0, "GBP", "£0.00"), (349, "GBP", "£3.49"), (-500, "GBP", "-£5.00"), (123456, "EUR", "€1,234.56"),
     (1500, "JPY", "¥1,500"), (5, "XYZ", "XYZ 0.05")],
)
def test_format_money(minor: int, currency: str, text: str) -> None:
    assert format_money(minor, currency) == text


@pytest.mark.parametrize(
    ("text", "minor"), [("5", 500), ("5.2", 520), ("£5.20", 520), ("1,005.00", 100500), (" 0.01 ", 1), ("20.", 2000)]
)
def test_parse_money(text: str, minor: int) -> None:
    assert parse_money(text, "GBP") == minor


@pytest.mark.parametrize("text", ["", "abc", "5.123", "-1", "NaN", "Infinity", "1e3.5"])
def test_parse_money_refuses(text: str) -> None:
    with pytest.raises(InvalidAmount):
        parse_money(text, "GBP")


def test_parse_money_never_goes_through_float() -> None:
    # 0.1 + 0.2 style errors would show here: 1.10 is exactly 110 minor units.
    assert parse_money("1.10", "GBP") == 110
    assert parse_money("19.99", "GBP") == 1999


def test_a_currency_is_a_three_letter_code_or_refused() -> None:
    """The code is shown on every total: markup or a long string from a service is refused."""
    import pytest

    from pos_core.money import currency_code

    assert currency_code("gbp") == "GBP" and currency_code(" EUR ") == "EUR"
    assert currency_code("", optional=True) == ""
    for bad in ("[/]", "[b]GBP", "GB", "GBPX", "£££", "ＧＢＰ", None, ""):
        with pytest.raises(ValueError):
            currency_code(bad)
