"""The receipt printer's state in words, for staff: the register's top line and the kiosk's staff
line say it alike. Nothing is said while the printer prints as it should.

``reprint`` is how staff print again at that till (the register: "^P reprints"; the kiosk: from
Call assistance, once unlocked). ``cannot_print`` is the one rule for "receipts are not coming out
now", which the kiosk tells its shoppers.
"""

from __future__ import annotations

from pos_core.print_queue import PROBLEM_STATES, PrinterStatus

PRINTER_WORDS = {
    "offline": "Printer OFFLINE",
    "out of paper": "Printer: OUT OF PAPER",
    "cover open": "Printer: COVER OPEN",
    "unavailable": "Printer unavailable",
    "paper low": "Printer: paper low",
}


def printer_words(status: PrinterStatus | None, reprint: str = "^P reprints") -> str:
    if status is None:
        return ""
    words = PRINTER_WORDS.get(status.state, "")
    if status.kept:
        kept = f"{status.kept} receipt{'s' if status.kept != 1 else ''} not printed ({reprint})"
        words = f"{words} · {kept}" if words else f"Printer: {kept}"
    return words


def cannot_print(status: PrinterStatus | None) -> bool:
    """The printer is there but cannot print now (a till with no printer is not this)."""
    return status is not None and status.state in PROBLEM_STATES
