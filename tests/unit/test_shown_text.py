"""printable(): what of a data string may reach the terminal."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from pos_core.shown_text import printable


def test_control_characters_become_visible_stand_ins() -> None:
    assert printable("\x1b[31mred\x1b[0m") == "␛[31mred␛[0m"
    assert printable("a\x00b\tc\nd\re\x7ff\x85g\x9bh") == "a␀b␉c␊d␍e␡f\ufffdg\ufffdh"
    assert printable("one\u2028two\u2029three") == "one␤two¶three"


def test_markup_marks_and_right_to_left_text_are_kept_as_given() -> None:
    for text in ["[/] Zed", "[@click=app.quit]Eve[/] Mallory", "\u202eevil\u202c", "e\u0301", "👩\u200d🔬", "Zoë"]:
        assert printable(text) == text


@given(st.text())
def test_one_character_for_one_and_nothing_left_that_controls_a_terminal(text: str) -> None:
    shown = printable(text)
    assert len(shown) == len(text)
    assert not any(unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp") for char in shown)
    for before, after in zip(text, shown, strict=True):
        if unicodedata.category(before) not in ("Cc", "Cs", "Zl", "Zp"):
            assert after == before
