"""A camera that reads barcodes: OpenCV frames from a device, a video file or a stream, decoded.

The capture loop blocks, so it runs in its own daemon thread and only calls the two callbacks
it was given (the app turns those into messages). A code held up to the camera is reported
once (see RepeatFilter). A camera that cannot be opened, or stops sending pictures, is reported
once in plain words and the thread ends; the till carries on without it.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2

from devices.barcode_decoder import BarcodeDecoder, Decoded
from devices.reader_thread import ReaderThread
from devices.repeat_filter import RepeatFilter

STALL_SECONDS = 2.0  # a live camera silent this long has gone (unplugged, driver gone)
RETRY_PAUSE = 0.05  # between failed reads of a live camera, so a dead one does not spin a core


def quiet_opencv() -> None:
    """OpenCV warns on stderr, which is the register's screen; we report problems ourselves."""
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)


class CameraSource(ReaderThread):
    """Frames from ``source`` (device index, file path or stream URL) → ``on_read(Decoded)``."""

    def __init__(
        self,
        source: int | str,
        decoder: BarcodeDecoder,
        on_read: Callable[[Decoded], None],
        on_problem: Callable[[str], None],
        *,
        repeat_after: float = 3.0,
    ) -> None:
        self.source = as_capture_source(source)
        self.decoder = decoder
        self.on_read = on_read
        self.on_problem = on_problem
        self.repeat_after = repeat_after
        self.description = describe(self.source)
        super().__init__(f"camera {self.description}")

    def _run(self) -> None:
        quiet_opencv()
        capture = cv2.VideoCapture(self.source)
        try:
            if not capture.isOpened():
                self._problem(f"cannot be opened: {why_not_opened(self.source)}")
                return
            self._read_frames(capture)
        except Exception as exc:  # a decoder or callback failure must not kill the till silently
            self._problem(f"failed: {exc}")
        finally:
            capture.release()

    def _read_frames(self, capture: cv2.VideoCapture) -> None:
        repeats = RepeatFilter(self.repeat_after)
        is_file = source_kind(self.source) == "file"
        # A file is read as fast as it decodes, so its own timeline decides what is a repeat.
        fps = capture.get(cv2.CAP_PROP_FPS) if is_file else 0.0
        index = 0
        last_frame = time.monotonic()
        while not self._stopping.is_set():
            ok, frame = capture.read()
            if not ok:
                if is_file:
                    return  # end of the file: nothing to report
                if time.monotonic() - last_frame > STALL_SECONDS:
                    self._problem("stopped sending pictures")
                    return
                time.sleep(RETRY_PAUSE)
                continue
            last_frame = time.monotonic()
            now = index / fps if is_file and fps > 0 else last_frame
            index += 1
            for code in repeats.feed(self.decoder.decode(frame), now):
                if self._stopping.is_set():
                    return
                self.on_read(code)

    def _problem(self, what: str) -> None:
        if not self._stopping.is_set():
            self.on_problem(f"The camera ({self.description}) {what}; the till goes on without it.")


def camera_availability(source: int | str) -> str | None:
    """None if the camera opens and gives a picture, else why not in plain words."""
    quiet_opencv()
    source = as_capture_source(source)
    capture = cv2.VideoCapture(source)
    try:
        if not capture.isOpened():
            return f"The camera ({describe(source)}) cannot be opened: {why_not_opened(source)}."
        ok, _ = capture.read()
        if not ok:
            return f"The camera ({describe(source)}) opens but gives no picture."
        return None
    finally:
        capture.release()


def as_capture_source(source: int | str) -> int | str:
    """Settings and command lines give "0" for the first camera; OpenCV wants the number."""
    if isinstance(source, str) and source.strip().isdigit():
        return int(source.strip())
    return source


def source_kind(source: int | str) -> str:
    """"device", "stream" or "file": files end quietly, live sources that end are a problem."""
    if isinstance(source, int) or source.startswith("/dev/"):
        return "device"
    if "://" in source:
        return "stream"
    return "file"


def describe(source: int | str) -> str:
    """How a cashier or engineer would name it; never a stream's password."""
    kind = source_kind(source)
    if kind == "stream":
        return f"stream {re.sub(r'//[^/@]*@', '//', str(source))}"
    return f"{kind} {source}"


def why_not_opened(source: int | str) -> str:
    kind = source_kind(source)
    if kind == "device":
        node = Path(f"/dev/video{source}") if isinstance(source, int) else Path(source)
        if sys.platform.startswith("linux") and not node.exists():
            return f"there is no {node} (is it plugged in?)"
        return "it is in use by another program, or this user may not use it (the video group)"
    if kind == "file":
        if not Path(source).exists():
            return "there is no such file"
        return "it is not a video OpenCV can read"
    return "the stream does not answer, or is not a video"
