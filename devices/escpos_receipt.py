"""A printed receipt (``pos_core.printed_receipt``) as ESC/POS commands, written with python-escpos.

Initialise (ESC @), pick the code page (ESC t n; CP858 has £ and €) and let python-escpos's magic
encoding switch only for a character that page lacks, so text goes out as the code page's bytes,
never UTF-8; each line at the paper's width; the receipt number as a QR code (drawn by the printer,
or sent as a picture for one that cannot); the sale's receipt page, when it has one, as a second
QR code under its caption, after a blank line so a scanner takes one at a time; cut (GS V); and kick the cash drawer (ESC p) when cash
changed hands.

Every line is data (store, product and customer names): ``printable`` first turns each control
character into a visible stand-in, which no code page has, so it prints as ``?`` and an ESC or GS
in a name can never reach the printer as a command.
"""

from __future__ import annotations

import textwrap

from escpos.escpos import Escpos
from escpos.printer import Dummy

from pos_core.printed_receipt import PrintedReceipt
from pos_core.shown_text import printable

# The pin most drawers hang on (python-escpos: CD_KICK_2, ESC p 0).
DRAWER_PIN = 2


def wants_native_qr(profile_name: str, qr: str) -> bool:
    """``[printer] qr``: "native", "image", or "auto" (native when the profile says it can)."""
    if qr != "auto":
        return qr == "native"
    return Dummy(profile=profile_name).profile.supports("qrCode")


def write_receipt(printer: Escpos, receipt: PrintedReceipt, *, codepage: str = "CP858", native_qr: bool = True) -> None:
    """Write ``receipt`` to ``printer`` (any python-escpos printer; the till uses a ``Dummy`` to
    gather the bytes, then sends them in one write)."""
    printer.hw("INIT")
    magic = printer.magic
    magic.encoding = None  # ESC @ put the printer back on its first page: name the page again
    pages = printer.profile.get_code_pages()
    if codepage.upper() in pages:
        magic.write_with_encoding(codepage.upper(), None)
        magic.encoder.used_encodings.add(codepage.upper())  # tried first when a character needs a switch
    width = max(receipt.width, 1)
    for line in receipt.lines:
        shown = printable(line)
        # Lines are rendered at this width already; one that is not (a long store name) wraps, never overflows.
        for start in range(0, max(len(shown), 1), width):
            printer.textln(shown[start:start + width])
    if receipt.code:
        _write_qr(printer, receipt.code, native_qr)
    if receipt.page_code:
        printer.ln()
        for line in textwrap.wrap(printable(receipt.page_caption), width, break_on_hyphens=False):
            printer.textln(line.center(width).rstrip())
        _write_qr(printer, receipt.page_code, native_qr)
    printer.cut()
    if receipt.open_drawer:
        printer.cashdraw(DRAWER_PIN)


def _write_qr(printer: Escpos, data: str, native_qr: bool) -> None:
    printer.set(align="center")
    if native_qr:
        printer.qr(data, size=6, native=True)
        printer.ln()
    else:
        printer.qr(data, size=4, native=False, center=False)
    printer.set(align="left")


def receipt_bytes(receipt: PrintedReceipt, *, profile: str, codepage: str = "CP858", native_qr: bool = True) -> bytes:
    """The whole receipt as the bytes a printer of ``profile`` is sent."""
    dummy = Dummy(profile=profile)
    write_receipt(dummy, receipt, codepage=codepage, native_qr=native_qr)
    return dummy.output
