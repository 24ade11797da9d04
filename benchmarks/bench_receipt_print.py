"""How long a receipt takes from a completed sale to its last byte at the printer's socket.

    .venv/bin/python benchmarks/bench_receipt_print.py [--receipts N]

A network printer is played by a TCP listener on loopback (tests/printer_listener.py, answering
status queries as an Epson does). For each receipt, one at a time: the completed loyalty sale is
made into the printed document (the same rendering the screen shows), handed to the till's print
queue (which keeps it on disk, asks the printer's status, sends it in one write and asks again),
and the clock stops when the listener reads the receipt's last command (the drawer kick for
cash, the cut for card). Printed: p50/p99 for the QR code drawn by the printer and sent as a
picture, and the machine's core count.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from devices.receipt_printer import ReceiptPrinter  # noqa: E402
from pos_core.print_queue import PrintQueue  # noqa: E402
from pos_core.printed_receipt import printed_sale  # noqa: E402
from pos_core.receipt import ReceiptHeader  # noqa: E402
from pos_core.sale import Tender  # noqa: E402
from pos_core.settings import PrinterSettings  # noqa: E402
from tests.printer_listener import PrinterListener  # noqa: E402
from tests.unit.test_receipt import completed, result  # noqa: E402

HEADER = ReceiptHeader("Demo Store", privacy_notice="We keep your name and number to give you points.", width=42)


def percentile(samples: list[float], q: int) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def run(count: int, qr: str) -> list[float]:
    samples: list[float] = []
    with PrinterListener() as printer, tempfile.TemporaryDirectory() as folder:
        queue = PrintQueue(Path(folder), ReceiptPrinter(PrinterSettings(connection=printer.url, qr=qr), width=42))
        queue.start()
        queue.wait_idle(10)
        base = completed(result())
        for n in range(count):
            cash = n % 2 == 0
            sale = replace(base.sale, sale_id=f"3f2a9c1e-0000-4000-8000-{n:012d}")
            done = replace(base, sale=sale, tender=(Tender("cash", 2000),) if cash else (Tender("card", 698),),
                           change=1302 if cash else 0)
            started = time.perf_counter()
            queue.submit(printed_sale(done, HEADER))
            printer.wait_for_receipts(n + 1)
            last = b"\x1bp\x00" if cash else b"\x1dV\x00"
            connection = [c for c in printer.connections if b"\x1dV" in c.data][n]
            samples.append(connection.time_of(last) - started)
        queue.wait_idle(10)
        queue.stop()
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--receipts", type=int, default=300)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores; till, print queue and printer (TCP listener) on loopback;"
          f" {args.receipts} receipts each, one at a time")
    for qr in ("native", "image"):
        samples = [s * 1000 for s in run(args.receipts, qr)]
        print(f"QR {qr:<6}  sale → last byte at the printer: p50 {percentile(samples, 50):6.2f} ms"
              f"  p99 {percentile(samples, 99):6.2f} ms  mean {statistics.fmean(samples):6.2f} ms")


if __name__ == "__main__":
    main()
