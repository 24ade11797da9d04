"""The receipt printer: opened from ``[printer] connection`` through python-escpos's own classes
(Network, Usb, Serial, File, CupsPrinter), sent a receipt in one write, and asked how it is.

Blocking: the till calls it from its print queue's thread (``pos_core/print_queue.py``), never
from the screen. Every fault is a ``PrinterFault`` with the state to show ("offline", "out of
paper", "cover open") and why in plain words; a missing optional library (pyusb, pycups) says so.

Whether the printer took the receipt: a printer that answers status queries (DLE EOT, over the
network, USB or serial) is asked before and after; an answer after the receipt means it read every
byte before it, and a connection that ends instead means the receipt did not all arrive. A printer
that answers nothing (a plain file) is taken at its word once the write is done.

A CUPS queue passes no status query on: the till asks CUPS for the queue's state instead (stopped,
refusing jobs, the out-of-paper or cover-open its backend reported), sends each receipt as one raw
job, and counts it taken when CUPS has passed the job to the printer. A job not through within the
timeout (the printer behind the queue is off) is cancelled and the receipt kept, so CUPS does not
print it later beside the till's reprint.
"""

from __future__ import annotations

import socket
import tempfile
import time
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

try:
    import cups  # pycups, for cups:// printers only; library_missing says when it is not here
except ImportError:
    cups = None
_CUPS_ERRORS: tuple[type[Exception], ...] = (cups.IPPError, cups.HTTPError) if cups else ()

# DLE EOT 2: why the printer is offline (bit 2: cover open, bit 5: stopped for paper end).
RT_STATUS_OFFLINE_CAUSE = RT_STATUS + b"\x02"
_COVER_OPEN = 0x04
_PAPER_STOP = 0x20
# A printer answers a status query at once; one that has not in this long does not answer them.
STATUS_WAIT = 1.0
# How often CUPS is asked whether a receipt's job has reached the printer (it takes tens of ms).
JOB_POLL = 0.02


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
            return _open_cups(connection, profile)
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
                if isinstance(printer, escpos_printers.CupsPrinter):
                    _print_through_cups(printer, data, self.settings.timeout)
                else:
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
        if isinstance(printer, escpos_printers.CupsPrinter):
            return _cups_state(printer)
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


def _open_cups(connection: PrinterConnection, profile: str | None) -> Escpos:
    """python-escpos's CupsPrinter on the CUPS server this machine names now (CUPS_SERVER, else
    client.conf, else the local cupsd): python-escpos would keep the one named when it was imported."""
    cups.setPort(0)
    cups.setServer("")  # libcups keeps a server per thread: forget this thread's, so it is read anew
    host, port = cups.getServer(), cups.getPort()
    where = host if host.startswith("/") else f"{host}:{port}"
    printer = escpos_printers.CupsPrinter(connection.queue, host=host, port=port, profile=profile)
    try:
        printer.open()
    except DeviceNotFoundError as error:
        text = str(error)
        if "Incorrect printer name" in text:
            raise PrinterFault("offline", f"the CUPS server at {where} has no queue {connection.queue} "
                                          "(lpstat -p lists its queues)") from None
        if "failed to connect" in text:
            raise PrinterFault("offline", f"the CUPS server at {where} does not answer (is cupsd running?)") from None
        raise PrinterFault("offline", f"cannot open the CUPS queue {connection.queue} at {where}: {_first_line(error)}") from None
    except _CUPS_ERRORS as error:
        raise PrinterFault("offline", f"the CUPS server at {where} refused: {_cups_words(error)}") from None
    return printer


def _cups_state(printer: Escpos) -> str:
    """A CUPS queue's state in the till's words, from what CUPS knows: whether the queue is stopped
    or refusing jobs, and the reasons its backend reported (a raw socket queue reports few)."""
    try:
        queue = printer.device.getPrinterAttributes(printer.printer_name, requested_attributes=[
            "printer-state", "printer-state-reasons", "printer-is-accepting-jobs"])
    except (RuntimeError, *_CUPS_ERRORS) as error:
        raise PrinterFault("offline", f"CUPS could not say how {printer.printer_name} is: {_cups_words(error)}") from None
    reasons = " ".join(queue.get("printer-state-reasons") or [])
    if "media-empty" in reasons or "media-needed" in reasons:
        return "out of paper"
    if "cover-open" in reasons or "door-open" in reasons:
        return "cover open"
    if queue.get("printer-state") == cups.IPP_PRINTER_STOPPED or not queue.get("printer-is-accepting-jobs", True):
        return "offline"
    return "paper low" if "media-low" in reasons else "ready"


def _print_through_cups(printer: Escpos, data: bytes, timeout: float) -> None:
    """``data`` as one raw job (no filter: the bytes reach the printer as they are), waited for until
    CUPS has passed it on; else it is cancelled and a ``PrinterFault`` says why."""
    device, queue = printer.device, printer.printer_name
    with tempfile.NamedTemporaryFile(prefix="receipt-", suffix=".prn") as job_file:
        job_file.write(data)
        job_file.flush()
        try:
            job = device.printFile(queue, job_file.name, "receipt", {"document-format": cups.CUPS_FORMAT_RAW})
        except (RuntimeError, *_CUPS_ERRORS) as error:
            raise PrinterFault("offline", f"CUPS did not take the receipt: {_cups_words(error)}") from None
    ended = (cups.IPP_JOB_CANCELED, cups.IPP_JOB_ABORTED)
    deadline = time.monotonic() + timeout
    state = None
    try:
        while time.monotonic() < deadline:
            state = device.getJobAttributes(job, requested_attributes=["job-state"]).get("job-state")
            if state == cups.IPP_JOB_COMPLETED:
                return
            if state in (cups.IPP_JOB_STOPPED, *ended):
                break
            time.sleep(JOB_POLL)
        message = device.getPrinterAttributes(queue, requested_attributes=["printer-state-message"]).get(
            "printer-state-message") or "the printer did not take it"
        if state not in ended:
            device.cancelJob(job)
    except (RuntimeError, *_CUPS_ERRORS) as error:
        message = f"CUPS stopped answering ({_cups_words(error)})"
    late = "was stopped" if state in (cups.IPP_JOB_STOPPED, *ended) else f"did not reach the printer within {timeout:g} s"
    raise PrinterFault("offline", f"the receipt's CUPS job {late}: {message}")


def _cups_words(error: BaseException) -> str:
    # pycups' IPPError is (status, message); the message is what CUPS said.
    return str(error.args[-1]) if isinstance(error, _CUPS_ERRORS) and error.args else _first_line(error)


def _close(printer: Escpos) -> None:
    try:
        printer.close()
    except (OSError, EscposError, AttributeError):
        pass


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return " ".join(line.strip() for line in text if line.strip()) or type(error).__name__
