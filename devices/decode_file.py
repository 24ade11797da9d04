"""Decode a picture or a video file: what the camera would have reported, for support and tests.

An image gives its codes as frame 0. A video is read frame by frame, and a code on many frames
in a row is reported once, by the video's own clock (the same RepeatFilter as the camera).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from devices.barcode_decoder import BarcodeDecoder
from devices.camera import quiet_opencv
from devices.repeat_filter import RepeatFilter

ASSUMED_FPS = 25.0  # for a video that does not say its frame rate


class UnreadableFile(ValueError):
    """The file is missing, or neither an image nor a video OpenCV can read."""


def decode_file(path: Path, decoder: BarcodeDecoder, *, repeat_after: float = 3.0) -> Iterator[dict]:
    """One ``{"format", "text", "frame"}`` per code found, in the order they appear.

    Raises UnreadableFile at once (not on first iteration) if the file cannot be read.
    """
    path = Path(path)
    if not path.is_file():
        raise UnreadableFile(f"cannot read {path}: there is no such file")
    quiet_opencv()
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is not None:
        return iter([{"format": c.format, "text": c.text, "frame": 0} for c in dict.fromkeys(decoder.decode(image))])
    capture = cv2.VideoCapture(str(path))
    ok, frame = capture.read() if capture.isOpened() else (False, None)
    if not ok:
        capture.release()
        raise UnreadableFile(f"cannot read {path}: it is not an image or a video OpenCV can read")
    return _decode_video(capture, frame, decoder, repeat_after)


def _decode_video(capture: cv2.VideoCapture, frame: np.ndarray, decoder: BarcodeDecoder, repeat_after: float) -> Iterator[dict]:
    try:
        fps = capture.get(cv2.CAP_PROP_FPS) or ASSUMED_FPS
        repeats = RepeatFilter(repeat_after)
        n, ok = 0, True
        while ok:
            for code in repeats.feed(decoder.decode(frame), n / fps):
                yield {"format": code.format, "text": code.text, "frame": n}
            n += 1
            ok, frame = capture.read()
    finally:
        capture.release()
