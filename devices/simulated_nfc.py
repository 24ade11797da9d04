"""An NFC reader with no hardware: ``tap()`` is a card laid on it. For training mode and tests.

Same shape as ``NfcReader``, so the app wires either the same way; a tap is delivered on the
caller's thread, as the real reader delivers on its own.
"""

from __future__ import annotations

from collections.abc import Callable

from devices.nfc_reader import NfcTap


class SimulatedNfcReader:
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
        self.targets = tuple(targets)
        self._running = False

    @property
    def running(self) -> bool:
        return self._running

    def start(self) -> None:
        self._running = True

    def stop(self, timeout: float = 5.0) -> None:
        self._running = False

    def tap(self, uid: str, ndef_text: str | None = None, ndef_uri: str | None = None) -> NfcTap:
        """A card with this UID (any hex spelling: ``04:f5:11``) and NDEF records, tapped once."""
        if not self._running:
            raise RuntimeError("the simulated NFC reader is not started")
        cleaned = uid.replace(":", "").replace(" ", "").replace("-", "").upper()
        try:
            bytes.fromhex(cleaned)
        except ValueError:
            raise ValueError(f"{uid!r} is not a card UID in hex") from None
        if not cleaned:
            raise ValueError("a card UID is at least one byte")
        tap = NfcTap(uid=cleaned, ndef_text=ndef_text, ndef_uri=ndef_uri)
        self.on_tap(tap)
        return tap
