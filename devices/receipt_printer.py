"""The receipt printer: opened from ``[printer] connection`` through python-escpos's own classes
(Network, Usb, Serial, File, CupsPrinter), sent a receipt in one write, and asked how it is.

Blocking: the till calls it from its print queue's thread (``pos_core/print_queue.py``), never
from the screen. Every fault is a ``PrinterFault`` with the state to show ("offline", "out of
paper", "cover open") and why in plain words; a missing optional library (pyusb, pycups) says so.

Whether the printer took the receipt: a printer that answers status queries (DLE EOT, over the
network, USB or serial) is asked before and after; an answer after the receipt means it read every
byte before it, and a connection that ends instead means the receipt did not all arrive. A printer
that answers nothing (a plain file, most print servers) is taken at its word once the write is done.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path

from escpos import printer as escpos_printers
from escpos.constants import RT_MASK_LOWPAPER, RT_MASK_NOPAPER, RT_MASK_ONLINE, RT_STATUS, RT_STATUS_ONLINE, RT_STATUS_PAPER
from escpos.escpos import Escpos
from escpos.exceptions import DeviceNotFoundError, Error as EscposError

from devices.escpos_receipt import receipt_bytes, wants_native_qr
from pos_core.print_queue import PROBLEM_STATES, PrinterFault
from pos_core.printed_receipt import PrintedReceipt
from pos_core.printer_connection import PrinterConnection, PrinterConnectionError, parse_connection
from pos_core.settings import PrinterSettings

# DLE EOT 2: why the printer is offline (bit 2: cover open, bit 5: stopped for paper end).
RT_STATUS_OFFLINE_CAUSE = RT_STATUS + b"\x02"
_COVER_OPEN = 0x04
_PAPER_STOP = 0x20
# A printer answers a status query at once; one that has not in this long does not answer them.
STATUS_WAIT = 1.0


class _NoAnswer(Exception):
    """The printer does not answer status queries (or the connection cannot carry them)."""


@dataclass(frozen=True, slots=True)
class _Library:
    cls: type[Escpos]
    needs: str


_LIBRARIES = {
    "tcp": _Library(escpos_printers.Network, ""),
    "usb": _Library(escpos_printers.Usb, "pyusb (pip install pyusb) and libusb-1.0"),
    "serial": _Library(escpos_printers.Serial, "pyserial (pip install pyserial)"),
    "file": _Library(escpos_printers.File, ""),
    "cups": _Library(escpos_printers.CupsPrinter, "pycups (pip install pycups, which needs Debian's libcups2-dev)"),
}


def library_missing(kind: str) -> str | None:
    """Why python-escpos cannot drive this kind of connection here, or None when it can."""
    library = _LIBRARIES[kind]
    if library.cls.is_usable():
        return None
    return f"unavailable: python-escpos needs {library.needs} for {kind}:// printers"


def open_printer(connection: PrinterConnection, settings: PrinterSettings) -> Escpos:
    """The python-escpos printer for ``connection``, opened; a ``PrinterFault`` when it cannot be."""
    missing = library_missing(connection.kind)
    if missing:
        raise PrinterFault("unavailable", missing)
    profile = settings.profile
    if connection.kind == "file" and not Path(connection.device).exists():
        # Opening it for writing would make a plain file where the printer's device should be.
        raise PrinterFault("offline", f"there is no printer at {connection.device} (unplugged or switched off?)")
    try:
        if connection.kind == "tcp":
            printer: Escpos = escpos_printers.Network(connection.host, connection.port, timeout=settings.timeout,
                                                      profile=profile)
        elif connection.kind == "usb":
            printer = escpos_printers.Usb(connection.vendor_id, connection.product_id,
                                          timeout=int(settings.timeout * 1000), profile=profile)
        elif connection.kind == "serial":
            printer = escpos_printers.Serial(connection.device, baudrate=connection.baudrate,
                                             timeout=min(settings.timeout, STATUS_WAIT), profile=profile)
        elif connection.kind == "file":
            printer = escpos_printers.File(connection.device, profile=profile)
        else:
            printer = escpos_printers.CupsPrinter(connection.queue, profile=profile)
        printer.open()
        if isinstance(printer.device, socket.socket):
            # Status queries are a few bytes each: sent at once, not held back for the last write's ACK.
            printer.device.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except DeviceNotFoundError as error:
        raise PrinterFault("offline", f"cannot reach the printer at {connection.url}: {_first_line(error)}") from None
    except (EscposError, OSError, ValueError, RuntimeError) as error:
        raise PrinterFault("offline", f"cannot open the printer at {connection.url}: {_first_line(error)}") from None
    return printer


class ReceiptPrinter:
    """One configured printer. Each receipt opens the connection, sends and closes it, so a printer
    switched off and on again (or a network blip) needs nothing from the till."""

    def __init__(self, settings: PrinterSettings, *, width: int) -> None:
        self.settings = settings
        self.connection = parse_connection(settings.connection)
        self.width = width
        self.native_qr = wants_native_qr(settings.profile, settings.qr)
        # None until asked: whether this printer answers status queries.
        self._answers: bool | None = None

    def print_receipt(self, receipt: PrintedReceipt) -> str:
        """Send ``receipt``; the printer's state after it ("ready", "paper low"), else ``PrinterFault``."""
        data = receipt_bytes(receipt, profile=self.settings.profile, codepage=self.settings.codepage,
                             native_qr=self.native_qr)
        printer = open_printer(self.connection, self.settings)
        try:
            before = self._state(printer)
            if before in PROBLEM_STATES:
                raise PrinterFault(before, f"the printer reports {before}: the receipt is kept; reprint it when the printer is ready")
            try:
                printer._raw(data)
            except (OSError, EscposError) as error:
                raise PrinterFault("offline", f"the printer stopped taking the receipt: {_first_line(error)}") from None
            after = self._state(printer)
            if after in PROBLEM_STATES:
                # It stopped during this receipt (the paper ran out): what came out is not the whole receipt.
                raise PrinterFault(after, f"the printer reported {after} during the receipt: it is kept; reprint it")
            return after or "ready"
        finally:
            _close(printer)

    def state(self) -> str:
        """How the printer is now: "ready", "paper low", "offline", "out of paper", "cover open",
        or "ready" for one that can be opened but does not say more."""
        try:
            printer = open_printer(self.connection, self.settings)
        except PrinterFault as fault:
            return fault.state
        try:
            return self._state(printer) or "ready"
        except PrinterFault as fault:
            return fault.state
        finally:
            _close(printer)

    def _state(self, printer: Escpos) -> str | None:
        if self._answers is False:
            return None
        try:
            online = self._query(printer, RT_STATUS_ONLINE)
            if online[0] & RT_MASK_ONLINE:
                cause = self._query(printer, RT_STATUS_OFFLINE_CAUSE)[0]
                return "cover open" if cause & _COVER_OPEN else "out of paper" if cause & _PAPER_STOP else "offline"
            paper = self._query(printer, RT_STATUS_PAPER)[0]
        except _NoAnswer:
            if self._answers is None:
                self._answers = False
            return None
        self._answers = True
        if paper & RT_MASK_NOPAPER == RT_MASK_NOPAPER:
            return "out of paper"
        if paper & RT_MASK_LOWPAPER == RT_MASK_LOWPAPER:
            return "paper low"
        return "ready"

    def _query(self, printer: Escpos, query: bytes) -> bytes:
        device = getattr(printer, "_device", None)
        network = isinstance(device, socket.socket)
        if network:
            device.settimeout(min(self.settings.timeout, STATUS_WAIT))
        try:
            answer = printer.query_status(query)
        except NotImplementedError:
            raise _NoAnswer from None
        except (TimeoutError, socket.timeout):
            raise _NoAnswer from None
        except (OSError, EscposError) as error:
            if "timed out" in str(error).lower() or "timeout" in type(error).__name__.lower():
                raise _NoAnswer from None
            raise PrinterFault("offline", f"the printer's connection broke: {_first_line(error)}") from None
        finally:
            if network:
                device.settimeout(self.settings.timeout)
        if not answer:
            if network:
                # A socket that reads nothing has been closed by the printer: the receipt did not all arrive.
                raise PrinterFault("offline", "the printer closed the connection before it took the whole receipt")
            raise _NoAnswer
        return answer


def printer_availability(url: str, *, timeout: float = 2.0) -> str | None:
    """For ``python -m devices list``: None when the printer at ``url`` can be opened and is ready,
    else why not (a bad URL, a missing library, unreachable, out of paper…)."""
    try:
        connection = parse_connection(url)
    except PrinterConnectionError as error:
        return str(error)
    missing = library_missing(connection.kind)
    if missing:
        return missing
    printer = ReceiptPrinter(PrinterSettings(connection=url, timeout=timeout), width=42)
    try:
        opened = open_printer(connection, printer.settings)
    except PrinterFault as fault:
        return fault.why
    try:
        state = printer._state(opened)
    except PrinterFault as fault:
        return fault.why
    finally:
        _close(opened)
    if state in (None, "ready"):
        return None
    return f"reachable, but {state}"


def _close(printer: Escpos) -> None:
    try:
        printer.close()
    except (OSError, EscposError, AttributeError):
        pass


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return " ".join(line.strip() for line in text if line.strip()) or type(error).__name__
