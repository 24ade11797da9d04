"""Phone entry as a device: keys in, the number shown as it is written, an Identification out.

The register's dialog feeds it whole text (an Input); a kiosk keypad feeds it one key at a time.
Either way an invalid number is refused here, before any call to the loyalty service.
"""

from __future__ import annotations

from devices.identification import Identification
from pos_core.phone_number import format_as_you_type, parse_phone

MAX_DIGITS = 17  # E.164 allows 15 digits; a little room for a national trunk prefix.


class PhoneEntry:
    def __init__(self, region: str) -> None:
        self.region = region
        self._keys = ""

    @property
    def keys(self) -> str:
        """What has been keyed: digits, and a leading + for an international number."""
        return self._keys

    @property
    def shown(self) -> str:
        """The number grouped as it is written (``020 7946 0123``)."""
        return format_as_you_type(self._keys, self.region) or self._keys

    def set_text(self, text: str) -> str:
        """Take whatever is in a text field; return it formatted."""
        self._keys = ""
        for char in text:
            self.press(char)
        return self.shown

    def press(self, key: str) -> None:
        """One keypad key: a digit, ``+`` (first only), or ``backspace``/``clear``."""
        if key == "backspace":
            self._keys = self._keys[:-1]
        elif key == "clear":
            self._keys = ""
        elif key == "+" and not self._keys:
            self._keys = "+"
        elif key.isdigit() and key.isascii() and sum(c.isdigit() for c in self._keys) < MAX_DIGITS:
            self._keys += key

    def read(self) -> Identification:
        """The identification, or ``InvalidPhoneNumber`` saying what to fix."""
        number = parse_phone(self._keys, self.region)
        return Identification(method="phone", value=number.e164, shown=number.national, source="keypad")
