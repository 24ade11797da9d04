"""A two-line, 20-character pole display on a serial port (pyserial), in its own command set.

    serial:///dev/ttyUSB1?baudrate=9600     the port and its speed (9600 if not given)

Two command sets:

- ``epson``: ESC/POS customer displays (Epson DM-D and the many that copy it). ESC @ initialises,
  ESC t 19 selects code table PC858 (CP437 with the euro sign), CLR (0x0C) clears, and
  US $ x y moves the cursor to column x of line y before each line is written.
- ``cd5220``: the CD5220 command set. ESC @ initialises, ESC f U selects the U.K. character set
  (0x23 is the pound sign), CLR clears, and ESC Q A <20 chars> CR / ESC Q B <20 chars> CR write
  the upper and the lower line.

Each character becomes exactly one byte, so a line keeps its 20 columns: £ and € (epson) and
accented letters map to the display's own codes, letters it lacks lose their accents, and anything
else (control characters from data included) becomes "?". Nothing from data can reach the display
as a command.

``PoleDisplay`` owns one thread: ``show(pages)`` hands it what to show and returns at once; the
thread writes (serial writes block), turns pages every ``page_seconds``, and when the port is
missing or fails it reports the problem once (``on_problem``), retries with backoff, and says when
it is back (``on_back``). It never raises into its caller. No Textual here.
"""

from __future__ import annotations

import math
import threading
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
import serial

from pos_core.serial_url import SerialUrlError, parse_serial_url

WIDTH = 20
ESC, US, CLR, CR = b"\x1b", b"\x1f", b"\x0c", b"\r"
PROTOCOLS = ("epson", "cd5220")
WRITE_TIMEOUT = 2.0  # a port that takes no bytes fails the write instead of holding the thread

Lines = tuple[str, str]


class PoleDisplayError(Exception):
    """The pole display's setting is malformed, or its port cannot be used now."""


def parse_pole_url(url: str) -> tuple[str, int]:
    """``serial:///dev/ttyUSB1?baudrate=9600`` → ("/dev/ttyUSB1", 9600). Raises PoleDisplayError."""
    try:
        return parse_serial_url(url, "serial:///dev/ttyUSB1?baudrate=9600")
    except SerialUrlError as error:
        raise PoleDisplayError(f"the pole display: {error}") from None


# -- the character sets ----------------------------------------------------------------------------

def _plain(char: str) -> str | None:
    """The printable ASCII letter a character is written with once its accents are dropped."""
    bare = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    return bare if len(bare) == 1 and 0x20 <= ord(bare) < 0x7F else None


def _epson_byte(char: str) -> bytes:
    if 0x20 <= ord(char) < 0x7F:
        return char.encode("ascii")
    if ord(char) >= 0xA0:  # never a control character, whatever the code page says of it
        try:
            return char.encode("cp858")
        except UnicodeEncodeError:
            pass
    bare = _plain(char)
    return bare.encode("ascii") if bare else b"?"


_CD5220_SPECIAL = {"£": b"#", "#": b"?", "€": b"E"}  # the U.K. set has £ where ASCII has #


def _cd5220_byte(char: str) -> bytes:
    if char in _CD5220_SPECIAL:
        return _CD5220_SPECIAL[char]
    if 0x20 <= ord(char) < 0x7F:
        return char.encode("ascii")
    bare = _plain(char)
    return _CD5220_SPECIAL.get(bare, bare.encode("ascii")) if bare else b"?"


def encode_line(text: str, protocol: str) -> bytes:
    """``text`` as exactly 20 bytes of the display's character set (cut or padded)."""
    to_byte = _epson_byte if protocol == "epson" else _cd5220_byte
    return b"".join(to_byte(char) for char in text[:WIDTH].ljust(WIDTH))


@dataclass(frozen=True)
class CommandSet:
    name: str
    init: bytes  # initialise, character set, clear

    def frame(self, lines: Lines) -> bytes:
        """The bytes that put both lines on the display, replacing what was there."""
        upper, lower = (encode_line(line, self.name) for line in lines)
        if self.name == "epson":
            return US + b"$\x01\x01" + upper + US + b"$\x01\x02" + lower
        return ESC + b"QA" + upper + CR + ESC + b"QB" + lower + CR


COMMAND_SETS = {
    "epson": CommandSet("epson", ESC + b"@" + ESC + b"t\x13" + CLR),
    "cd5220": CommandSet("cd5220", ESC + b"@" + ESC + b"fU" + CLR),
}


def _reason(error: BaseException) -> str:
    """Why the port failed, in a few words (the port's name and the system's reason)."""
    inner = error.__cause__ or error.__context__
    if isinstance(error, serial.SerialTimeoutException):
        return "it takes no data (write timed out)"
    for candidate in (inner, error):  # the system's own words first
        if isinstance(candidate, OSError) and candidate.strerror:
            return candidate.strerror
    return str(error) or type(error).__name__


def open_port(url: str) -> serial.SerialBase:
    """The display's port, open. Raises PoleDisplayError saying why not."""
    device, baudrate = parse_pole_url(url)
    try:
        return serial.serial_for_url(device, baudrate=baudrate, write_timeout=WRITE_TIMEOUT, timeout=0)
    except (serial.SerialException, OSError, ValueError) as error:
        raise PoleDisplayError(f"{device}: {_reason(error)}") from None


def pole_availability(url: str) -> str | None:
    """None when the display's port opens here now, else why not (for ``python -m devices list``)."""
    try:
        open_port(url).close()
    except PoleDisplayError as error:
        return str(error)
    return None


# -- the display's thread --------------------------------------------------------------------------

class PoleDisplay:
    def __init__(
        self,
        url: str,
        protocol: str = "epson",
        *,
        on_problem: Callable[[str], None] = lambda reason: None,
        on_back: Callable[[], None] = lambda: None,
        page_seconds: float = 3.0,
        retry_seconds: tuple[float, float] = (1.0, 30.0),
    ) -> None:
        parse_pole_url(url)  # a malformed setting is refused now, not in the thread
        if protocol not in COMMAND_SETS:
            raise PoleDisplayError(f"a pole display speaks {' or '.join(PROTOCOLS)} (got {protocol!r})")
        self.url = url
        self.commands = COMMAND_SETS[protocol]
        self.on_problem = on_problem
        self.on_back = on_back
        self.page_seconds = page_seconds
        self.retry_seconds = retry_seconds
        self.problem: str | None = None  # what is wrong with the port now, or None
        self._pages: list[Lines] = []
        self._version = 0
        self._stopping = False
        self._wake = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="pole display", daemon=True)
        self._port: serial.SerialBase | None = None

    def start(self) -> None:
        self._thread.start()

    def show(self, pages: Sequence[Lines]) -> None:
        """Show ``pages`` (in turn, if more than one) from now on. Never blocks on the port."""
        pages = list(pages)
        with self._wake:
            if pages == self._pages:
                return  # already on show (the view changed somewhere the pole does not show)
            self._pages = pages
            self._version += 1
            self._wake.notify()

    def stop(self, timeout: float = 3.0) -> None:
        with self._wake:
            self._stopping = True
            self._wake.notify()
        if self._thread.is_alive():
            self._thread.join(timeout)

    # What the thread does; nothing below raises out of it.

    def _run(self) -> None:
        written, page, turn_at = 0, 0, math.inf
        delay = self.retry_seconds[0]
        try:
            while True:
                with self._wake:
                    while not self._stopping and self._version == written and time.monotonic() < turn_at:
                        self._wake.wait(None if turn_at == math.inf else max(0.0, turn_at - time.monotonic()))
                    if self._stopping:
                        return
                    pages, version = self._pages, self._version
                if not pages:
                    written = version
                    continue
                page = 0 if version != written else (page + 1) % len(pages)
                try:
                    self._write(pages[page])
                except (serial.SerialException, OSError, PoleDisplayError) as error:
                    self._failed(error)
                    with self._wake:
                        self._wake.wait_for(lambda: self._stopping, timeout=delay)
                    delay = min(delay * 2, self.retry_seconds[1])
                    written, turn_at = -1, math.inf  # then write the newest again
                    continue
                delay = self.retry_seconds[0]
                written = version
                turn_at = time.monotonic() + self.page_seconds if len(pages) > 1 else math.inf
        finally:
            self._close()

    def _write(self, lines: Lines) -> None:
        if self._port is None:
            self._port = open_port(self.url)
            self._port.write(self.commands.init)
            if self.problem is not None:
                self.problem = None
                self._tell(self.on_back)
        self._port.write(self.commands.frame(lines))

    def _failed(self, error: BaseException) -> None:
        self._close()
        reason = str(error) if isinstance(error, PoleDisplayError) else f"{parse_pole_url(self.url)[0]}: {_reason(error)}"
        if reason != self.problem:
            self.problem = reason
            self._tell(self.on_problem, reason)

    @staticmethod
    def _tell(listener: Callable[..., None], *args: str) -> None:
        try:
            listener(*args)
        except Exception:  # a listener that has gone (the app closing) must not stop the display
            pass

    def _close(self) -> None:
        port, self._port = self._port, None
        if port is not None:
            try:
                port.close()
            except (serial.SerialException, OSError):
                pass
