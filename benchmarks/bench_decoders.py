"""How long each barcode decoder takes on one 640×480 camera frame, and how often it reads it.

    .venv/bin/python benchmarks/bench_decoders.py [--frames N]

For each decoder (zxing-cpp, zbar) × each symbology it claims: real codes drawn by zxing-cpp's
writer, clean, and degraded as a phone held up to a till camera looks (turned 7°, blurred,
noisy; a different noise on every frame). Also a frame with no code, the camera's usual view.
Median and 95th percentile milliseconds, and the share of frames read correctly.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from devices.barcode_decoder import Decoded, DecoderUnavailable, make_decoder  # noqa: E402
from tests.unit.barcode_images import SAMPLE_TEXT, blank_frame, frame  # noqa: E402

CONDITIONS = {
    "clean": {},
    "degraded": {"angle": 7.0, "blur": 0.8, "noise": 8.0},
}
ORDER = ["qr", "ean13", "ean8", "code128", "pdf417", "aztec"]


def percentile(samples: list[float], q: int) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[q - 1]


def measure(decoder, frames, expected: list[Decoded]) -> tuple[float, float, float]:
    decoder.decode(frames[0])  # warm-up: first call pays for allocations
    times, hits = [], 0
    for picture in frames:
        start = time.perf_counter()
        found = decoder.decode(picture)
        times.append((time.perf_counter() - start) * 1000)
        hits += found == expected
    return statistics.median(times), percentile(times, 95), hits / len(frames)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=50, help="frames per row (default 50)")
    args = parser.parse_args()
    print(f"decode time per 640×480 frame, {args.frames} frames a row (grayscale)")
    print(f"{'decoder':8} {'format':8} {'condition':9} {'median ms':>10} {'p95 ms':>8} {'read':>6}")
    for name in ("zxing", "zbar"):
        try:
            decoder = make_decoder(name)
        except DecoderUnavailable as exc:
            print(f"{name:8} unavailable: {exc}")
            continue
        rows = [(f, c) for f in ORDER if f in decoder.formats for c in CONDITIONS] + [("none", "blank")]
        for format, condition in rows:
            if format == "none":
                frames = [blank_frame(noise=8.0, seed=n) for n in range(args.frames)]
                expected: list[Decoded] = []
            else:
                frames = [frame(SAMPLE_TEXT[format], format, seed=n, **CONDITIONS[condition]) for n in range(args.frames)]
                expected = [Decoded(format, SAMPLE_TEXT[format])]
            median, p95, read = measure(decoder, frames, expected)
            print(f"{name:8} {format:8} {condition:9} {median:10.1f} {p95:8.1f} {read:6.0%}", flush=True)


if __name__ == "__main__":
    main()
