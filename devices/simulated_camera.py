"""A camera with no camera: training mode and tests "show" it a code.

Same shape as CameraSource (start, stop, running, the same callbacks), and a shown code goes
through the same RepeatFilter, so showing one card three times in a row is one read, as with
a real camera. Reads are delivered on the caller's thread, at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from devices.barcode_decoder import FORMATS, BarcodeDecoder, Decoded
from devices.repeat_filter import RepeatFilter


class SimulatedCamera:
    def __init__(
        self,
        decoder: BarcodeDecoder | None,
        on_read: Callable[[Decoded], None],
        on_problem: Callable[[str], None],
        *,
        repeat_after: float = 3.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.decoder = decoder
        self.on_read = on_read
        self.on_problem = on_problem
        self.description = "simulated"
        self._repeats = RepeatFilter(repeat_after)
        self._clock = clock
        self._running = False

    @property
    def running(self) -> bool:
        return self._running

    def start(self) -> None:
        self._running = True

    def stop(self, timeout: float | None = None) -> None:
        self._running = False
        self._repeats.reset()

    def show(self, text: str, format: str = "qr") -> bool:
        """Hold a code up to the camera; True if it was reported (not a repeat, camera on).

        A code the decoder cannot read (PDF417 with zbar) is not seen, as with a real camera.
        """
        if format not in FORMATS:
            raise ValueError(f"unknown barcode format {format!r}: one of {', '.join(sorted(FORMATS))}")
        if not self._running:
            return False
        if self.decoder is not None and format not in self.decoder.formats:
            return False
        code = Decoded(format, text)
        if not self._repeats.admit(code, self._clock()):
            return False
        self.on_read(code)
        return True
