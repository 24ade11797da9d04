"""The one way devices reach an app: every read, from any source, is classified here and comes
out as one event (``Identified``, ``ItemScanned``, ``ReceiptScanned``, ``OrderScanned``, ``ScanRejected``,
``SourceProblem``).

Sources call in from their own threads; ``emit`` must be safe to call from any thread (a Textual
app's ``post_message`` is). A payment card's number stops here: only the classifier's masked
form goes on.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from devices.events import (
    DeviceEvent,
    Identified,
    ItemScanned,
    OrderScanned,
    ReceiptScanned,
    ReferralScanned,
    ScanRejected,
    SourceProblem,
)
from devices.payload import Payload, PayloadRules, classify

if TYPE_CHECKING:
    from devices.nfc_reader import NfcTap


class Source(Protocol):
    def start(self) -> None: ...
    def stop(self) -> None: ...


def event_for(payload: Payload, source: str) -> DeviceEvent:
    if payload.identification is not None:
        return Identified(payload.identification)
    if payload.kind == "product" and payload.product_code:
        return ItemScanned(payload.product_code, source, payload.quantity)
    if payload.kind == "receipt" and payload.receipt_sale_id:
        return ReceiptScanned(payload.receipt_sale_id, payload.shown, source)
    if payload.kind == "order" and payload.pickup_code:
        return OrderScanned(payload.pickup_code, source)
    if payload.kind == "referral" and payload.referral_code:
        return ReferralScanned(payload.referral_code, source)
    return ScanRejected(payload.kind, payload.message, payload.shown, source)


class DeviceHub:
    def __init__(self, emit: Callable[[DeviceEvent], None], rules: PayloadRules | None = None) -> None:
        self._emit = emit
        self.rules = rules or PayloadRules()
        self._sources: list[Source] = []
        self._said: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    # -- what sources call ---------------------------------------------------------------------

    def read_text(self, text: str, source: str) -> DeviceEvent:
        """Text read by a scanner, a stripe reader, a camera or typed: classified, then told."""
        event = event_for(classify(text, self.rules, source=source), source)
        self._emit(event)
        return event

    def nfc_tap(self, tap: NfcTap) -> None:
        from devices.nfc_reader import tap_identification  # nfcpy loads only when a reader is used

        identification = tap_identification(tap)
        if identification.method in ("card", "qr"):
            # What the tag carries is classified like any other read (it may be a wallet URL).
            self.read_text(identification.value, "nfc")
        else:
            self._emit(Identified(identification))

    def problem(self, source: str, message: str) -> None:
        """A device's trouble, told once: a camera that keeps failing does not flood the screen."""
        with self._lock:
            if (source, message) in self._said:
                return
            self._said.add((source, message))
        self._emit(SourceProblem(source, message))

    # -- the sources this terminal has ---------------------------------------------------------

    def add(self, source: Source) -> Source:
        self._sources.append(source)
        source.start()
        return source

    def add_camera(self, where: str, decoder: str = "zxing") -> Source | None:
        """A camera by device index (``"0"``), file or stream URL, decoding with ``decoder``."""
        from devices.barcode_decoder import DecoderUnavailable, make_decoder
        from devices.camera import CameraSource

        try:
            chosen = make_decoder(decoder)
        except (DecoderUnavailable, ValueError) as error:
            self.problem("camera", str(error))
            return None
        return self.add(
            CameraSource(
                int(where) if where.isdigit() else where,
                chosen,
                on_read=lambda decoded: self.read_text(decoded.text, "camera"),
                on_problem=lambda message: self.problem("camera", message),
            )
        )

    def add_nfc(self, path: str, targets: tuple[str, ...] = ("106A", "212F")) -> Source:
        """An NFC reader as nfcpy names it: ``usb``, ``usb:072f:2200``, ``tty:ttyUSB0``, ``udp:host:port``."""
        from devices.nfc_reader import NfcReader

        return self.add(
            NfcReader(path, on_tap=self.nfc_tap, on_problem=lambda message: self.problem("nfc", message), targets=targets)
        )

    def stop(self) -> None:
        for source in self._sources:
            source.stop()
        self._sources.clear()
