"""Keys as a keyboard-wedge scanner or stripe reader sends them, with their own timestamps.

The Pilot's ``press()`` waits about 60 ms a key (a person's pace), so a scanner's burst is posted
here as the terminal driver would post it, each key stamped 5–30 ms after the one before.
"""

from __future__ import annotations

import time

from textual import events
from textual.keys import _character_to_key
from textual.pilot import Pilot


def key_event(character: str, at: float) -> events.Key:
    key = character if character.isalnum() and character.isascii() else _character_to_key(character)
    event = events.Key(key, character)
    event.time = at
    return event


async def scanner_burst(pilot: Pilot, text: str, gap: float = 0.008) -> None:
    """``text`` then Enter, at scanner speed, into whatever has focus."""
    app = pilot.app
    start = time.monotonic()
    for index, character in enumerate(text):
        app.post_message(key_event(character, start + index * gap))
    enter = events.Key("enter", "\r")
    enter.time = start + len(text) * gap
    app.post_message(enter)
    await pilot.pause()
