"""A serial port as the settings name it, for the receipt printer and the pole display alike:

    serial:///dev/ttyUSB1?baudrate=9600     a port and its speed (9600 if not given)
    serial://COM3                           a Windows port

Pure: no I/O and no pyserial, so the settings can refuse a bad URL before the till starts, and
``devices`` opens what this reads.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

BAUD_RATES = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)
DEFAULT_BAUD_RATE = 9600


class SerialUrlError(ValueError):
    """Not a serial port this till can open; the message says why."""


def parse_serial_url(url: str, example: str = "serial:///dev/ttyUSB0?baudrate=9600") -> tuple[str, int]:
    """``serial:///dev/ttyUSB1?baudrate=19200`` → ("/dev/ttyUSB1", 19200). Raises SerialUrlError."""
    parts = urlsplit(url.strip())
    device = parts.netloc + parts.path
    if parts.scheme.lower() != "serial" or not device:
        raise SerialUrlError(f"a serial port is serial://DEVICE?baudrate=N, e.g. {example} (got {url!r})")
    query = parse_qs(parts.query)
    unknown = sorted(set(query) - {"baudrate"})
    if unknown:
        raise SerialUrlError(f"unknown option {', '.join(unknown)} in {url!r} (known: baudrate)")
    rate = query.get("baudrate", [str(DEFAULT_BAUD_RATE)])[-1]
    if not rate.isdigit() or int(rate) not in BAUD_RATES:
        raise SerialUrlError(f"baudrate must be one of {', '.join(map(str, BAUD_RATES))} (got {rate!r})")
    return device, int(rate)
