"""What a scan costs before any network: telling a scanner burst from typing, and classifying it.

    .venv/bin/python benchmarks/bench_scanner_input.py [--bursts N]

* burst decision: a 13-character card number at scanner speed through ``WedgeFilter`` (every key
  held, then one decision at Enter), and the same typed at a person's pace (every key let through).
* classification: ``classify()`` for each kind of read a till sees.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from devices.keyboard_wedge import WedgeFilter  # noqa: E402
from devices.payload import classify  # noqa: E402

READS = {
    "product EAN-13": "5012345678900",
    "product SKU": "1005",
    "loyalty card": "2991000000016",
    "loyalty stripe": ";2991000000016=2912?",
    "payment stripe": "%B4111111111111111^DOE/JOHN^2912101?;4111111111111111=2912101?",
    "app QR token": "LQR1.MFRWGXZXMYZWCOJSMU2TCZBQ.1795000000.ABCDEFGHIJKLMNOP.ABCDEFGHIJKLMNOPQRSTUVWXYZ234567AB",
    "static app QR": "LOYALTY:ZSKRIOZAAF25G5FS",
    "wallet pass URL": "https://loyalty.example.com/pass/2991000000016",
    "phone number": "020 7946 0001",
    "garbage 4 KB": "[bold]" * 680,
}


def timed_us(action, repeats: int) -> tuple[float, float]:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1e6)
    cut = statistics.quantiles(samples, n=100, method="inclusive")
    return cut[49], cut[98]


def burst(gap: float) -> None:
    wedge: WedgeFilter[int] = WedgeFilter()
    at = 0.0
    for index, char in enumerate("2991000000016"):
        at += gap
        wedge.tick(at)
        wedge.key(index, char, at)
    wedge.key(99, None, at + gap, enter=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bursts", type=int, default=5000)
    args = parser.parse_args()
    print(f"{'what':34} {'p50 µs':>9} {'p99 µs':>9}")
    for name, gap in (("scanner burst (13 chars + Enter)", 0.01), ("typed at 150 ms a key", 0.15)):
        p50, p99 = timed_us(lambda gap=gap: burst(gap), args.bursts)
        print(f"{name:34} {p50:9.1f} {p99:9.1f}")
    for name, text in READS.items():
        p50, p99 = timed_us(lambda text=text: classify(text), args.bursts)
        print(f"{'classify ' + name:34} {p50:9.1f} {p99:9.1f}")


if __name__ == "__main__":
    main()
