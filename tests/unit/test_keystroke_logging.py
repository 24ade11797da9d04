"""keystroke_recording_warning(): Textual's key logging, told from the environment."""

from __future__ import annotations

import pytest

from pos_core.keystroke_logging import keystroke_recording_warning


@pytest.mark.parametrize("environ", [{}, {"TEXTUAL": ""}, {"TEXTUAL": "debug"}, {"TEXTUAL_LOG": ""},
                                     {"TEXTUAL_LOG": "  "}, {"HOME": "/root", "TEXTUAL_FPS": "30"}])
def test_nothing_to_say_when_keys_are_not_recorded(environ: dict[str, str]) -> None:
    assert keystroke_recording_warning(environ) is None


@pytest.mark.parametrize("environ, says", [
    ({"TEXTUAL_LOG": "/tmp/textual.log"}, "TEXTUAL_LOG"),
    ({"TEXTUAL": "devtools"}, "devtools"),
    ({"TEXTUAL": "debug, DevTools"}, "devtools"),
])
def test_a_log_file_or_devtools_is_warned_of(environ: dict[str, str], says: str) -> None:
    warning = keystroke_recording_warning(environ)
    assert warning is not None and says in warning and "card numbers" in warning
    assert "/tmp/textual.log" not in warning


def test_both_are_named() -> None:
    warning = keystroke_recording_warning({"TEXTUAL_LOG": "x.log", "TEXTUAL": "devtools,debug"})
    assert warning is not None and "TEXTUAL_LOG" in warning and "devtools" in warning
