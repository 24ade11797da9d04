"""A large on-screen number pad that works by touch (mouse clicks) and by keys."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Grid
from textual.message import Message
from textual.widgets import Button

KEYS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "clear", "0", "backspace")
LABELS = {"clear": "Clear", "backspace": "⌫"}


class Keypad(Grid):
    @dataclass
    class Pressed(Message):
        key: str  # a digit, "clear" or "backspace"

    def compose(self) -> ComposeResult:
        for key in KEYS:
            button = Button(LABELS.get(key, key), id=f"key-{key}", classes="key")
            # Button ignores a tap while its press effect shows (0.2 s): a quick "00" would
            # lose a digit. The number appearing on screen is feedback enough.
            button.active_effect_duration = 0
            yield button

    @on(Button.Pressed, ".key")
    def pressed(self, event: Button.Pressed) -> None:
        event.stop()
        assert event.button.id is not None
        self.post_message(self.Pressed(event.button.id.removeprefix("key-")))
