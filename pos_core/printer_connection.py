"""Where the receipt printer is: the ``[printer] connection`` URL, read into what python-escpos's
connection classes need. Pure: no I/O, so the settings can refuse a bad URL before the till starts.

    tcp://HOST:PORT              a network printer (raw port 9100 if none is given)
    usb://VID:PID                a USB printer, its vendor and product ids in hex (04b8:0202)
    serial:///dev/X?baudrate=N   a serial printer (9600 baud if none is given)
    file:///dev/usb/lp0          a printer the kernel shows as a file
    cups://QUEUE                 a CUPS queue (raw), on this machine
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from pos_core.serial_url import SerialUrlError, parse_serial_url

EXAMPLES = ("tcp://192.168.1.40:9100", "usb://04b8:0202", "serial:///dev/ttyUSB0?baudrate=19200",
            "file:///dev/usb/lp0", "cups://QUEUE")
_HEX_ID = re.compile(r"(?:0x)?[0-9a-fA-F]{1,4}")


class PrinterConnectionError(ValueError):
    """A connection URL that names no printer this till can open; the message says why."""


@dataclass(frozen=True, slots=True)
class PrinterConnection:
    kind: str  # tcp | usb | serial | file | cups
    url: str
    host: str = ""
    port: int = 9100
    vendor_id: int = 0
    product_id: int = 0
    device: str = ""  # a serial port or a file's path
    baudrate: int = 9600
    queue: str = ""


def parse_connection(url: str) -> PrinterConnection:
    text = url.strip()
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    problem = f"the printer connection {text!r}"
    if scheme == "tcp":
        host = parts.hostname or ""
        try:
            port = parts.port or 9100
        except ValueError:
            raise PrinterConnectionError(f"{problem} has a port that is not a number from 1 to 65535") from None
        if not host or parts.path not in ("", "/"):
            raise PrinterConnectionError(f"{problem} must be tcp://HOST:PORT, e.g. tcp://192.168.1.40:9100")
        return PrinterConnection("tcp", text, host=host, port=port)
    if scheme == "usb":
        vendor, sep, product = parts.netloc.partition(":")
        if not sep or not _HEX_ID.fullmatch(vendor) or not _HEX_ID.fullmatch(product):
            raise PrinterConnectionError(f"{problem} must be usb://VID:PID in hex, e.g. usb://04b8:0202 (see lsusb)")
        return PrinterConnection("usb", text, vendor_id=int(vendor, 16), product_id=int(product, 16))
    if scheme == "serial":
        try:
            device, rate = parse_serial_url(text, "serial:///dev/ttyUSB0?baudrate=19200")
        except SerialUrlError as error:
            raise PrinterConnectionError(f"{problem}: {error}") from None
        return PrinterConnection("serial", text, device=device, baudrate=rate)
    if scheme == "file":
        if parts.netloc or not parts.path.startswith("/"):
            raise PrinterConnectionError(f"{problem} must be file:///PATH, e.g. file:///dev/usb/lp0")
        return PrinterConnection("file", text, device=parts.path)
    if scheme == "cups":
        queue = parts.netloc
        if not queue or parts.path not in ("", "/"):
            raise PrinterConnectionError(f"{problem} must be cups://QUEUE, the queue's name as lpstat -p shows it")
        return PrinterConnection("cups", text, queue=queue)
    raise PrinterConnectionError(f"{problem} is not one the till knows; use one of {', '.join(EXAMPLES)}")
