"""A text field for phone numbers that groups the digits as they are typed."""

from __future__ import annotations

from textual import on
from textual.widgets import Input

from devices.phone_entry import PhoneEntry


class PhoneInput(Input):
    def __init__(self, region: str, *, value: str = "", id: str | None = None) -> None:
        super().__init__(
            value=value,
            placeholder="e.g. 020 7946 0123",
            restrict=r"[0-9+()\- ]*",
            max_length=24,
            id=id,
        )
        self.entry = PhoneEntry(region)

    @on(Input.Changed)
    def regroup(self, event: Input.Changed) -> None:
        formatted = self.entry.set_text(event.value)
        # Only regroup while typing at the end, so editing in the middle does not jump the cursor.
        if formatted and formatted != event.value and self.cursor_position == len(event.value):
            self.value = formatted
            self.cursor_position = len(formatted)
