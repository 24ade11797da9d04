"""Magnetic stripes as a keyboard-wedge reader types them (ISO/IEC 7813 tracks 1 and 2).

Track 1: ``%B<PAN>^<NAME>^<YYMM><service code><discretionary>?`` (the letter after ``%`` is the format
code: ``B`` means a payment card). Track 2: ``;<PAN>=<YYMM><service code><discretionary>?``. A reader
may send both tracks in one burst, may follow each end sentinel ``?`` with the LRC character, and may
end with CR/LF. Only the track, the format code and the number are kept: the cardholder's name, the
expiry and the discretionary data are dropped as soon as they are matched, and ``repr`` shows only the
last four digits, because a payment card number must never reach a log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from devices.check_digits import ascii_digits

# The name field may hold any track-1 character but the sentinels; only ``?`` ends a track.
_TRACK1 = r"%(?P<fc>[A-Z])(?P<t1>[^?]*)\?"
_TRACK2 = r";(?P<pan2>[0-9]{1,19})(?:=[0-9]*)?\?"
# Lazy ``.??``: prefer no LRC, so a track 2 right after track 1's ``?`` is read as a track.
_BURST = re.compile(rf"(?:{_TRACK1}.??\s*)?(?:{_TRACK2}.?)?", re.DOTALL)
_TRACK1_PAYMENT = re.compile(r"(?P<pan>[0-9]{1,19})\^[^^]{0,26}\^.*", re.DOTALL)
_TRACK1_OTHER = re.compile(r"(?P<pan>[0-9]{1,19})(?:\^.*)?", re.DOTALL)


def masked(number: str) -> str:
    """``•••• 1234``: what may be shown or logged of a card number (its last four digits, whatever
    separators or script it was written with)."""
    digits = "".join(char for char in ascii_digits(number) if char.isdigit())
    return "•••• " + digits[-4:]


@dataclass(frozen=True, slots=True)
class Stripe:
    """One read: ``track`` 1 or 2 (1 when both came, as only track 1 says the format), ``format_code``
    (track 1's letter, None for track 2 alone) and the card ``number``."""

    track: int
    format_code: str | None
    number: str = field(repr=False)

    @property
    def last_four(self) -> str:
        return self.number[-4:]

    def __repr__(self) -> str:
        return f"Stripe(track={self.track}, format_code={self.format_code!r}, number={masked(self.number)!r})"

    __str__ = __repr__


def parse_stripe(text: str) -> Stripe | None:
    """The stripe typed by a reader, or None when ``text`` is not one (or a garbled read)."""
    burst = text.strip()
    if not burst.startswith(("%", ";")) or len(burst) > 512:
        return None
    match = _BURST.fullmatch(burst)
    if match is None or (match["fc"] is None and match["pan2"] is None):
        return None
    if match["fc"] is None:
        return Stripe(track=2, format_code=None, number=match["pan2"])
    layout = _TRACK1_PAYMENT if match["fc"] == "B" else _TRACK1_OTHER
    fields = layout.fullmatch(match["t1"])
    if fields is not None:
        return Stripe(track=1, format_code=match["fc"], number=fields["pan"])
    if match["pan2"] is not None:
        # Track 1 is laid out in a way we do not read; track 2 still carries the number.
        return Stripe(track=1, format_code=match["fc"], number=match["pan2"])
    return None
