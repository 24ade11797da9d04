"""How long an NFC tap takes to read, measured through nfcpy's udp driver (no hardware needed).

    ./dev bench            (or: .venv/bin/python benchmarks/bench_nfc.py [--cards N])

* found → on_tap: from the poll that finds the card to ``on_tap`` with its UID and NDEF text;
  what a real reader adds is its radio time.
* laid down → on_tap: from the card appearing to ``on_tap``; over udp this includes the driver's
  one second wait for each technology sensed with no card, which is why ``targets`` matters.
"""

from __future__ import annotations

import argparse
import queue
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import ndef  # noqa: E402

from devices.nfc_reader import NfcReader, NfcTap  # noqa: E402
from tests.unit.nfc_emulator import EmulatedType3Tag, free_udp_port, ndef_message  # noqa: E402


def run(cards: int, targets: tuple[str, ...]) -> tuple[list[float], list[float]]:
    port = free_udp_port()
    told: queue.Queue[tuple[float, NfcTap]] = queue.Queue()
    problems: list[str] = []
    reader = NfcReader(f"udp:127.0.0.1:{port}", lambda tap: told.put((time.perf_counter(), tap)), problems.append,
                       targets=targets)
    reader.start()
    message = ndef_message([ndef.TextRecord("2991000000016")])
    found, laid_down = [], []
    try:
        for n in range(cards):
            idm = bytes.fromhex("012E4CD1A2B3C400")[:-1] + bytes([n])  # each card new: no same-card guard
            with EmulatedType3Tag(port, idm, message) as card:
                laid = time.perf_counter()
                at, tap = told.get(timeout=10)
                assert tap.ndef_text == "2991000000016" and card.polled_at is not None
                found.append(at - card.polled_at)
                laid_down.append(at - laid)
    finally:
        reader.stop()
    if problems:
        raise SystemExit(f"reader problem: {problems}")
    return found, laid_down


def ms(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"median {statistics.median(values) * 1000:6.1f} ms  p95 {p95 * 1000:6.1f} ms  max {max(values) * 1000:6.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=10)
    args = parser.parse_args()

    started = time.perf_counter()
    found, laid_down = run(args.cards, ("212F",))
    print(f"NFC over udp, targets 212F, {args.cards} cards (UID + NDEF text):")
    print(f"  found → on_tap       {ms(found)}")
    print(f"  laid down → on_tap   {ms(laid_down)}")
    found, laid_down = run(3, ("106A", "212F"))
    print("NFC over udp, targets 106A+212F (the default), 3 cards:")
    print(f"  found → on_tap       {ms(found)}")
    print(f"  laid down → on_tap   {ms(laid_down)}")
    print(f"({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
