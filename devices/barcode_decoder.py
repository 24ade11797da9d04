"""Barcode decoders behind one interface: a camera frame in, the codes in it out.

zxing-cpp is the default: it reads every symbology a loyalty card or a wallet pass uses (QR,
EAN-13/8, Code 128, and Apple/Google Wallet's PDF417 and Aztec) in about 5 ms a 640×480 frame.
zbar (pyzbar) is the second backend: slower and it cannot read PDF417 or Aztec, but it is what
some tills already have. Both report what they read as text; deciding whether that text is a
customer is someone else's job (it may be a product barcode, or binary noise).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import cv2
import numpy as np

# The names the rest of the till uses; each backend maps its own names onto these.
FORMATS = frozenset({"qr", "ean13", "ean8", "code128", "pdf417", "aztec"})

DECODER_NAMES = ("zxing", "zbar")


class DecoderUnavailable(RuntimeError):
    """The decoder's library is not installed; the message says what to install."""


@dataclass(frozen=True, slots=True)
class Decoded:
    """One code seen in a frame. UPC-A is reported as ``ean13`` with its leading 0 (same bars)."""

    format: str
    text: str


@runtime_checkable
class BarcodeDecoder(Protocol):
    name: str
    formats: frozenset[str]

    def decode(self, frame: np.ndarray) -> list[Decoded]:
        """Every code in a BGR or grayscale frame, in the order the library found them."""
        ...


class ZxingDecoder:
    """zxing-cpp, told to look only for our symbologies (a third of the time of all of them)."""

    name = "zxing"
    formats = FORMATS

    def __init__(self) -> None:
        try:
            import zxingcpp
        except ImportError as exc:
            raise DecoderUnavailable(f"the zxing decoder needs the zxing-cpp package (pip install zxing-cpp): {exc}") from exc
        self._zxing = zxingcpp
        fmt = zxingcpp.BarcodeFormat
        # A tuple, not `|`: zxing-cpp 3 deprecates or-ing formats.
        self._search = (fmt.QRCode, fmt.EAN13, fmt.EAN8, fmt.UPCA, fmt.Code128, fmt.PDF417, fmt.Aztec)
        # Sub-formats (Micro QR, compact PDF417, Aztec rune) report their family as symbology.
        self._by_symbology = {fmt.QRCode: "qr", fmt.Code128: "code128", fmt.PDF417: "pdf417", fmt.Aztec: "aztec"}
        self._by_format = {fmt.EAN13: "ean13", fmt.UPCA: "ean13", fmt.EAN8: "ean8"}
        self._upca = fmt.UPCA

    def decode(self, frame: np.ndarray) -> list[Decoded]:
        image = as_gray_or_bgr(frame)
        found = self._zxing.read_barcodes(
            image,
            formats=self._search,
            # Turned and inverted (dark-mode screen) codes and far-off cards: "try harder".
            try_rotate=True,
            try_downscale=True,
            try_invert=True,
            # Plain: the symbol's content itself, without GS1 brackets added for people.
            text_mode=self._zxing.TextMode.Plain,
        )
        out: list[Decoded] = []
        for barcode in found:
            name = self._by_format.get(barcode.format) or self._by_symbology.get(barcode.symbology)
            if name is None:
                continue
            text = barcode.text
            if barcode.format == self._upca and len(text) == 12:
                text = "0" + text
            out.append(Decoded(name, text))
        return out


class ZbarDecoder:
    """zbar through pyzbar, limited to the symbologies it reads (no PDF417 or Aztec)."""

    name = "zbar"
    formats = frozenset({"qr", "ean13", "ean8", "code128"})

    def __init__(self) -> None:
        try:
            from pyzbar import pyzbar
        except ImportError as exc:  # pyzbar raises ImportError when libzbar.so cannot be found
            raise DecoderUnavailable(
                "the zbar decoder needs the zbar library: install the Debian package libzbar0 "
                f"(sudo apt install libzbar0) and the pyzbar package ({exc})"
            ) from exc
        self._pyzbar = pyzbar
        symbol = pyzbar.ZBarSymbol
        self._symbols = [symbol.QRCODE, symbol.EAN13, symbol.EAN8, symbol.UPCA, symbol.CODE128]
        self._names = {"QRCODE": "qr", "EAN13": "ean13", "UPCA": "ean13", "EAN8": "ean8", "CODE128": "code128"}

    def decode(self, frame: np.ndarray) -> list[Decoded]:
        image = as_gray_or_bgr(frame)
        if image.ndim == 3:
            # pyzbar would keep only the first (blue) channel; luminance is what zbar expects.
            image = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        out: list[Decoded] = []
        for symbol in self._pyzbar.decode(image, symbols=self._symbols):
            name = self._names.get(symbol.type)
            if name is None:
                continue
            text = as_text(symbol.data)
            if symbol.type == "UPCA" and len(text) == 12:
                text = "0" + text
            out.append(Decoded(name, text))
        return out


def as_gray_or_bgr(frame: Any) -> np.ndarray:
    """A contiguous uint8 grayscale or BGR array, whatever shape of frame the camera gave."""
    image = np.asarray(frame)
    if image.dtype != np.uint8:
        raise ValueError(f"a frame must be 8-bit (uint8), not {image.dtype}")
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    elif image.ndim == 3 and image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    elif not (image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 3)):
        raise ValueError(f"a frame must be grayscale (H×W) or BGR (H×W×3), not shape {image.shape}")
    return np.ascontiguousarray(image)


def as_text(data: bytes) -> str:
    """UTF-8 when it is; otherwise Latin-1, which keeps every byte (binary payloads survive)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


_DECODERS: dict[str, type[ZxingDecoder] | type[ZbarDecoder]] = {"zxing": ZxingDecoder, "zbar": ZbarDecoder}


def make_decoder(name: str = "zxing") -> BarcodeDecoder:
    """The named decoder; raises DecoderUnavailable if its library is missing."""
    try:
        factory = _DECODERS[name]
    except KeyError:
        raise ValueError(f"unknown barcode decoder {name!r}: choose one of {', '.join(DECODER_NAMES)}") from None
    return factory()


def decoder_availability() -> dict[str, str | None]:
    """Each decoder's name → None when it can be used, else why not (for settings and diagnostics)."""
    out: dict[str, str | None] = {}
    for name in DECODER_NAMES:
        try:
            make_decoder(name)
        except DecoderUnavailable as exc:
            out[name] = str(exc)
        else:
            out[name] = None
    return out
