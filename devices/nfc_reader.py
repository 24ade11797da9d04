"""An NFC reader (nfcpy: ``usb:…``, ``tty:…`` or ``udp:host:port``): a tapped card's UID and NDEF.

nfcpy's connect loop blocks, so it runs in its own daemon thread and only calls the two callbacks
it was given. A card held on the reader is one tap: nfcpy keeps it connected until it leaves. A
reader that is absent, or stops answering, is reported once in plain words and the thread ends;
the till carries on without it.
"""

from __future__ import annotations

import errno
import logging
import re
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

import ndef
import nfc
import nfc.clf
import nfc.tag

from devices.identification import Identification
from devices.reader_thread import ReaderThread

log = logging.getLogger(__name__)

# Between sensing passes: short enough that a tap feels instant, long enough not to spin a core;
# waited on the stop event, so stop() never waits for it.
SENSE_GAP = 0.05
# A card at the edge of the field drops out and back in; within this many seconds it is still the
# same presentation, not a second tap.
SAME_CARD_GUARD = 1.0

KNOWN_TARGETS = {"106A", "212A", "424A", "106B", "212B", "424B", "212F", "424F"}  # nfcpy's bitrate + type
_CARD_NUMBER = re.compile(r"[0-9]{8,19}")
_APP_PAYLOAD_PREFIXES = ("LOYALTY:", "LQR1.")


@dataclass(frozen=True, slots=True)
class NfcTap:
    """One presentation of a card: its UID (upper-case hex) and the first text and URI records."""

    uid: str
    ndef_text: str | None = None
    ndef_uri: str | None = None


class NfcReader(ReaderThread):
    """Taps on the reader at ``path`` → ``on_tap(NfcTap)``; trouble → ``on_problem(message)``.

    ``targets`` are the technologies sensed each pass (nfcpy's bitrate names). Over the udp driver
    each one with no card costs a second, so pass only what the cards are.
    """

    def __init__(
        self,
        path: str,
        on_tap: Callable[[NfcTap], None],
        on_problem: Callable[[str], None],
        *,
        targets: tuple[str, ...] = ("106A", "212F"),
    ) -> None:
        self.path = path
        self.on_tap = on_tap
        self.on_problem = on_problem
        unknown = set(targets) - KNOWN_TARGETS
        if unknown or not targets:
            raise ValueError(f"NFC targets must be some of {sorted(KNOWN_TARGETS)}, not {sorted(unknown) or 'none'}")
        self.targets = tuple(targets)
        self._last_uid: str | None = None
        self._last_left = float("-inf")
        super().__init__(f"nfc-reader {self.path}")

    # -- the reader's thread -------------------------------------------------------------------

    def _run(self) -> None:
        problem = _udp_path_problem(self.path) if self.path.startswith("udp") else None
        if problem is None:
            try:
                clf = nfc.ContactlessFrontend(self.path)
            except (OSError, ValueError, TypeError) as error:
                problem = unavailable(self.path, error)
        if problem is not None:
            self.on_problem(f"{problem}; the till goes on without it.")
            return
        options = {
            "targets": list(self.targets),
            "on-connect": self._on_connect,
            "on-release": self._on_release,
            "iterations": 1,  # one pass per call, so the stop event is looked at between passes
            "beep-on-connect": False,  # the till's screen answers the tap; a reader beep is noise
        }
        try:
            while not self._stopping.is_set():
                # nfcpy returns False after an I/O error (logged, not raised): the reader is gone.
                if clf.connect(rdwr=options, terminate=self._should_stop) is False:
                    if not self._stopping.is_set():
                        self.on_problem(
                            f"The NFC reader at {self.path} stopped answering (see the log); the till goes on without it."
                        )
                    return
        except Exception as error:  # a driver failing in a way nfcpy does not catch
            log.exception("NFC reader at %s failed", self.path)
            self.on_problem(f"The NFC reader at {self.path} failed ({error}); the till goes on without it.")
        finally:
            clf.close()

    def _should_stop(self) -> bool:
        return self._stopping.wait(SENSE_GAP)

    def _on_connect(self, tag: nfc.tag.Tag) -> bool:
        """Read the tag; True tells nfcpy to hold it until it leaves (one tap per presentation)."""
        try:
            tap = read_tap(tag)
        except (nfc.tag.TagCommandError, nfc.clf.CommunicationError) as error:
            log.info("NFC card left before it was read (%s)", error)
            return False  # not held: if it is still there the next pass reads it afresh
        except Exception:  # a card nfcpy cannot make sense of must not end the reader
            log.exception("NFC card could not be read")
            return True  # held until it leaves, so it is not read (and logged) again every pass
        if tap is None:
            log.info("NFC card left before it was read")
            return False
        if tap.uid == self._last_uid and time.monotonic() - self._last_left < SAME_CARD_GUARD:
            return True  # back within the guard: the same presentation
        self._last_uid = tap.uid
        try:
            self.on_tap(tap)
        except Exception:  # the app's trouble must not end the reader
            log.exception("on_tap failed for an NFC tap")
        return True

    def _on_release(self, tag: nfc.tag.Tag) -> bool:
        self._last_left = time.monotonic()
        return True


def read_tap(tag: nfc.tag.Tag) -> NfcTap | None:
    """UID and the first text and URI records; None when the tag left during the read.

    nfcpy reports a read cut short as "no NDEF". A UID alone must not stand in for a loyalty id
    the tag did not finish giving, so "no NDEF" is believed only from a tag still there, read twice
    (the first read may have been cut short by a card lifted and laid down again).
    """
    uid = bytes(tag.identifier).hex().upper()
    text = uri = None
    message = tag.ndef
    if message is None:
        if not tag.is_present:
            return None
        message = tag.ndef  # nfcpy reads again while it has none
        if message is None:
            return NfcTap(uid)
    try:
        records = message.records
    except ndef.DecodeError as error:  # a malformed message: the UID still identifies the card
        log.info("NFC card %s has unreadable NDEF data (%s)", uid, error)
        records = []
    for record in records:
        if isinstance(record, ndef.SmartposterRecord):
            record = record.resource  # a poster's URI is the same thing as a bare URI record
        if text is None and isinstance(record, ndef.TextRecord):
            text = record.text
        elif uri is None and isinstance(record, ndef.UriRecord):
            uri = record.iri
    return NfcTap(uid, text, uri)


def tap_identification(tap: NfcTap) -> Identification:
    """What the tap identifies: a loyalty id the tag carries, else the card's UID (method ``nfc``)."""
    for carried in (tap.ndef_text, _id_in_uri(tap.ndef_uri)):
        identification = _loyalty_id(carried)
        if identification is not None:
            return identification
    return Identification(method="nfc", value=tap.uid, shown=f"NFC card …{tap.uid[-2:]}", source="nfc")


def _loyalty_id(carried: str | None) -> Identification | None:
    if not carried:
        return None
    carried = carried.strip()
    if carried.startswith(_APP_PAYLOAD_PREFIXES) and carried.isascii() and carried.isprintable():
        return Identification(method="qr", value=carried, shown="NFC app pass", source="nfc")
    digits = re.sub(r"[\s-]", "", carried)
    if _CARD_NUMBER.fullmatch(digits):
        return Identification(method="card", value=digits, shown=f"NFC card …{digits[-4:]}", source="nfc")
    return None


def _id_in_uri(uri: str | None) -> str | None:
    """A ``card=`` query parameter, else the last path segment (…/c/2991000000016)."""
    if not uri:
        return None
    parts = urlsplit(uri)
    card = parse_qs(parts.query).get("card")
    if card:
        return card[0]
    segments = [s for s in parts.path.split("/") if s]
    return unquote(segments[-1]) if segments else None


def unavailable(path: str, error: BaseException) -> str:
    """Why there is no reader at ``path``, in plain words (no trailing full stop)."""
    if isinstance(error, OSError):
        if error.errno == errno.ENODEV:
            return f"No NFC reader at {path}"
        if error.errno == errno.EACCES:
            return f"The NFC reader at {path} may not be opened by this user (permission denied)"
        if error.errno == errno.EBUSY:
            return f"The NFC reader at {path} is in use by another program"
        return f"No NFC reader at {path} ({error.strerror or error})"
    return f"{path!r} is not an NFC reader path ({error})"


def nfc_availability(path: str) -> str | None:
    """None when a reader answers at ``path``; otherwise why not. Never waits on a network."""
    if path.startswith("udp"):
        return _udp_path_problem(path)
    try:
        clf = nfc.ContactlessFrontend(path)
    except (OSError, ValueError, TypeError) as error:
        return unavailable(path, error)
    clf.close()
    return None


def _udp_path_problem(path: str) -> str | None:
    """nfcpy's udp driver opens anything; only the path's shape can be wrong (``udp[:host][:port]``)."""
    fields = path.split(":")
    if fields[0] != "udp" or len(fields) > 3:
        return f"{path!r} is not an NFC reader path (udp[:host][:port])"
    port = fields[2] if len(fields) == 3 and fields[2] else "54321"
    if not (port.isascii() and port.isdigit() and 0 < int(port) < 65536):
        return f"{path!r} is not an NFC reader path (the port must be a number from 1 to 65535)"
    try:
        socket.getservbyport(int(port), "udp")
    except OSError:
        return None
    # nfcpy turns the port into text with getnameinfo, and a named port then fails to parse.
    return f"{path!r} is not usable: nfcpy cannot use UDP port {port}, which has a service name"
