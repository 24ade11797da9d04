import pytest

from pos_core.item_entry import InvalidItemEntry, ItemEntry, parse_item_entry


@pytest.mark.parametrize(
    ("text", "entry"),
    [("1001", ItemEntry("1001")), (" 3*1001 ", ItemEntry("1001", 3)), ("2 * 2000000010019", ItemEntry("2000000010019", 2))],
)
def test_parse(text: str, entry: ItemEntry) -> None:
    assert parse_item_entry(text) == entry


@pytest.mark.parametrize("text", ["", "*1001", "0*1001", "1000*1001", "x*1001", "3*", "[bold]hi", "\x1b[31m", "é1"])
def test_refused_with_words(text: str) -> None:
    with pytest.raises(InvalidItemEntry) as error:
        parse_item_entry(text)
    assert str(error.value).endswith(".")
