"""Real barcode pictures for the decoder and camera tests, drawn by zxing-cpp's writer.

Each picture is what a till camera would see: a 640×480 frame with the code somewhere in it,
optionally turned, blurred and noisy. Videos are written with OpenCV (MJPG in .avi), which this
opencv-python-headless build can write and read back through its FFmpeg backend.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import zxingcpp

FRAME_SIZE = (640, 480)  # width, height: a common USB camera mode

WRITER_FORMATS = {
    "qr": zxingcpp.BarcodeFormat.QRCode,
    "ean13": zxingcpp.BarcodeFormat.EAN13,
    "ean8": zxingcpp.BarcodeFormat.EAN8,
    "upca": zxingcpp.BarcodeFormat.UPCA,
    "code128": zxingcpp.BarcodeFormat.Code128,
    "pdf417": zxingcpp.BarcodeFormat.PDF417,
    "aztec": zxingcpp.BarcodeFormat.Aztec,
}

# What a loyalty card or wallet pass carries in each symbology (README's demo customer Alice).
SAMPLE_TEXT = {
    "qr": "LOYALTY:ZSKRIOZAAF25G5FS",
    "ean13": "2991000000016",
    "ean8": "96385074",
    "code128": "LOY2991000000016",
    "pdf417": "LOYALTY:ZSKRIOZAAF25G5FS",
    "aztec": "LOYALTY:ZSKRIOZAAF25G5FS",
}

# How far each degradation goes: what a phone screen held up to a till camera looks like.
DEGRADATIONS = {
    "clean": {},
    "rotated 7°": {"angle": 7.0},
    "rotated 90°": {"angle": 90.0},
    "rotated 180°": {"angle": 180.0},
    "blurred": {"blur": 1.2},
    "noisy": {"noise": 12.0},
}


def symbol(text: str, format: str) -> np.ndarray:
    """The bare code, one pixel per module, quiet zone included (grayscale, black on white)."""
    barcode = zxingcpp.create_barcode(text, WRITER_FORMATS[format])
    return np.asarray(zxingcpp.write_barcode_to_image(barcode, scale=1, add_quiet_zones=True)).copy()


def frame(
    text: str,
    format: str,
    *,
    angle: float = 0.0,
    blur: float = 0.0,
    noise: float = 0.0,
    module: int = 4,
    color: bool = False,
    seed: int = 0,
) -> np.ndarray:
    """A 640×480 camera frame showing the code, turned ``angle`` degrees, ``module`` pixels a module.

    The module shrinks if the code would not fit (3–4 px is a phone held up to a till camera).

    ``blur`` is a Gaussian sigma in pixels, ``noise`` a Gaussian sigma in grey levels.
    ``color`` gives a BGR frame, as cameras deliver.
    """
    width, height = FRAME_SIZE
    bare = symbol(text, format)
    turned = _rotate(bare, angle, scale=1)
    # Whole pixels per module, so the writer's crisp edges survive before the camera's blur.
    scale = max(1, min(module, width // turned.shape[1], height // turned.shape[0]))
    big = cv2.resize(bare, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)
    placed = _rotate(big, angle, scale=1)
    canvas = np.full((height, width), 255, np.uint8)
    top, left = (height - placed.shape[0]) // 2, (width - placed.shape[1]) // 2
    canvas[top : top + placed.shape[0], left : left + placed.shape[1]] = placed
    return degrade(canvas, blur=blur, noise=noise, color=color, seed=seed)


def blank_frame(*, noise: float = 0.0, color: bool = False, seed: int = 0) -> np.ndarray:
    """A frame with no code in it (the counter, between customers)."""
    width, height = FRAME_SIZE
    return degrade(np.full((height, width), 235, np.uint8), noise=noise, color=color, seed=seed)


def degrade(image: np.ndarray, *, blur: float = 0.0, noise: float = 0.0, color: bool = False, seed: int = 0) -> np.ndarray:
    out = image
    if blur > 0:
        out = cv2.GaussianBlur(out, (0, 0), blur)
    if noise > 0:
        grain = np.random.default_rng(seed).normal(0.0, noise, out.shape)
        out = np.clip(out.astype(np.float32) + grain, 0, 255).astype(np.uint8)
    if color:
        out = cv2.cvtColor(out, cv2.COLOR_GRAY2BGR)
    return out


def _rotate(image: np.ndarray, angle: float, *, scale: float) -> np.ndarray:
    """Turn about the centre, growing the picture so no corner is cut off; the border stays white."""
    if angle % 360 == 0:
        return image
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, scale)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    new_w, new_h = int(np.ceil(h * sin + w * cos)), int(np.ceil(h * cos + w * sin))
    matrix[0, 2] += new_w / 2 - w / 2
    matrix[1, 2] += new_h / 2 - h / 2
    # Exact right angles stay pixel-exact; other angles are interpolated like a real lens would.
    interpolation = cv2.INTER_NEAREST if angle % 90 == 0 else cv2.INTER_LINEAR
    return cv2.warpAffine(image, matrix, (new_w, new_h), flags=interpolation, borderValue=255)


Segment = tuple[tuple[str, str] | None, int]  # ((text, format) or None for blank, frame count)


def write_video(path: Path, segments: Sequence[Segment], *, fps: float = 10.0, noise: float = 4.0) -> Path:
    """Write an MJPG .avi: each segment shows one code (or nothing) for its number of frames.

    A little noise differs frame to frame, so consecutive frames are not byte-identical copies.
    """
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, FRAME_SIZE, True)
    if not writer.isOpened():
        raise RuntimeError(f"OpenCV cannot write MJPG video to {path}")
    n = 0
    try:
        for shown, count in segments:
            for _ in range(count):
                if shown is None:
                    picture = blank_frame(noise=noise, color=True, seed=n)
                else:
                    picture = frame(*shown, noise=noise, color=True, seed=n)
                writer.write(picture)
                n += 1
    finally:
        writer.release()
    return path
