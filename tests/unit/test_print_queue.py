"""The till's print queue with the real printer driver and a network printer played by a TCP
listener on loopback: faults (connection refused, the printer closing mid-receipt, out of paper,
cover open) keep the receipt on the till, across a restart, and the reprint prints it."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from pathlib import Path

from devices.receipt_printer import ReceiptPrinter
from pos_core.print_queue import KEEP_SECONDS, PrinterStatus, PrintQueue
from pos_core.printed_receipt import PrintedReceipt
from pos_core.settings import PrinterSettings
from tests.printer_listener import NO_PAPER, PAPER_LOW, PrinterListener

RECEIPT = PrintedReceipt("00000000-0000-4000-8000-000000000001", "sale", ("Demo Store", "Sourdough loaf  £3.49"),
                         40, code="R-00000000-0000-4000-8000-000000000001", open_drawer=True)
OTHER = PrintedReceipt("00000000-0000-4000-8000-000000000002", "sale", ("Demo Store", "Croissant  £1.35"), 40)


def free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        return taken.getsockname()[1]


def queue_for(folder: Path, port: int, seen: list[PrinterStatus] | None = None,
              clock: Callable[[], float] = time.time) -> PrintQueue:
    printer = ReceiptPrinter(PrinterSettings(connection=f"tcp://127.0.0.1:{port}", timeout=2), width=40)
    queue = PrintQueue(folder, printer, on_status=seen.append if seen is not None else None, poll_seconds=60,
                       clock=clock)
    queue.start()
    return queue


def settled(queue: PrintQueue) -> PrinterStatus:
    assert queue.wait_idle(10)
    return queue.status


def test_a_refused_connection_keeps_the_receipt_across_a_restart_and_the_reprint_prints_it(tmp_path: Path) -> None:
    port = free_port()
    seen: list[PrinterStatus] = []
    queue = queue_for(tmp_path, port, seen)
    queue.submit(RECEIPT)
    status = settled(queue)
    assert (status.state, status.kept, status.problem) == ("offline", 1, True)
    assert "Connection refused" in status.why
    assert "printing" in [s.state for s in seen]
    queue.stop()

    restarted = queue_for(tmp_path, port)  # the till is started again: the receipt is still there
    assert settled(restarted).kept == 1
    with PrinterListener(port=port) as printer:
        restarted.reprint()
        assert settled(restarted) == PrinterStatus("ready", 0)
        [paper] = printer.wait_for_receipts(1)
    assert RECEIPT.code.encode() in paper and b"\x1bp\x00" in paper
    assert not list((tmp_path / "kept").glob("*.json"))
    restarted.stop()


def test_a_printer_that_closes_mid_receipt_keeps_it_for_the_reprint(tmp_path: Path) -> None:
    with PrinterListener(close_after=40) as broken:
        queue = queue_for(tmp_path, broken.port)
        queue.submit(RECEIPT)
        status = settled(queue)
        assert (status.state, status.kept) == ("offline", 1)
        assert 0 < len(broken.connections[-1].data) <= 40  # it got part of the receipt, then went
        queue.stop()
    with PrinterListener(port=broken.port) as printer:
        queue = queue_for(tmp_path, printer.port)
        queue.reprint()
        assert settled(queue) == PrinterStatus("ready", 0)
        assert b"\x1dV" in printer.wait_for_receipts(1)[0]
        queue.stop()


def test_out_of_paper_and_cover_open_are_reported_and_nothing_is_sent(tmp_path: Path) -> None:
    for listener, state in ((PrinterListener(paper=NO_PAPER), "out of paper"), (PrinterListener(cover_open=True), "cover open")):
        with listener:
            queue = queue_for(tmp_path / state, listener.port)
            queue.submit(RECEIPT)
            assert (settled(queue).state, queue.status.kept) == (state, 1)
            assert listener.receipts() == []  # asked first: the receipt waits on the till, not in a stopped printer
            queue.stop()


def test_the_reprint_prints_the_last_receipt_again_when_none_failed(tmp_path: Path) -> None:
    with PrinterListener(paper=PAPER_LOW) as printer:
        queue = queue_for(tmp_path, printer.port)
        queue.submit(OTHER)
        queue.submit(RECEIPT)
        assert settled(queue) == PrinterStatus("paper low", 0)  # still prints; the status line warns
        queue.reprint()
        settled(queue)
        papers = printer.wait_for_receipts(3)
        assert papers[2] == papers[1] and RECEIPT.code.encode() in papers[2]
        queue.stop()
    # A new start knows the last receipt too.
    restarted = PrintQueue(tmp_path, ReceiptPrinter(PrinterSettings(connection=printer.url), width=40))
    restarted.start()
    with PrinterListener(port=printer.port) as again:
        restarted.reprint()
        assert RECEIPT.code.encode() in again.wait_for_receipts(1)[0]
    restarted.stop()


def test_receipts_kept_over_a_day_are_dropped_and_the_reprint_prints_only_the_recent_ones(tmp_path: Path) -> None:
    port = free_port()
    now = [1_800_000_000.0]
    queue = queue_for(tmp_path, port, clock=lambda: now[0])
    queue.submit(RECEIPT)  # kept at "now"; the printer is not there
    assert settled(queue).kept == 1
    now[0] += KEEP_SECONDS - 3600
    queue.submit(OTHER)  # kept 23 hours later
    assert settled(queue).kept == 2
    queue.stop()

    now[0] += 2 * 3600  # the first is now over a day old, the second an hour
    restarted = queue_for(tmp_path, port, clock=lambda: now[0])
    assert settled(restarted).kept == 1
    with PrinterListener(port=port) as printer:
        restarted.reprint()
        assert settled(restarted) == PrinterStatus("ready", 0)
        [paper] = printer.wait_for_receipts(1)
    assert b"Croissant" in paper and RECEIPT.code.encode() not in paper
    restarted.stop()

    # The clock stepped back an hour keeps it; stepped back days, its age cannot be told and it goes.
    queue = queue_for(tmp_path / "stepped", port, clock=lambda: now[0])
    queue.submit(RECEIPT)
    assert settled(queue).kept == 1
    queue.stop()
    now[0] -= 3600
    restarted = queue_for(tmp_path / "stepped", port, clock=lambda: now[0])
    assert settled(restarted).kept == 1
    restarted.stop()
    now[0] -= 3 * KEEP_SECONDS
    restarted = queue_for(tmp_path / "stepped", port, clock=lambda: now[0])
    assert settled(restarted).kept == 0
    restarted.stop()


def test_a_kept_receipt_that_does_not_say_when_goes_by_its_file_s_time_and_none_stops_the_queue(tmp_path: Path) -> None:
    port = free_port()
    queue = queue_for(tmp_path, port)
    queue.submit(RECEIPT)
    assert settled(queue).kept == 1
    queue.stop()
    [kept] = (tmp_path / "kept").glob("*.json")
    receipt = json.loads(kept.read_text())["receipt"]
    for name, kept_at in (("true", "true"), ("nan", "NaN"), ("text", '"yesterday"'), ("inf", "Infinity")):
        (tmp_path / "kept" / f"{name}.json").write_text(f'{{"kept_at": {kept_at}, "receipt": {json.dumps(receipt)}}}')
    (tmp_path / "kept" / "deep.json").write_text("[" * 100_000 + "]" * 100_000)  # the JSON parser gives up

    now = [time.time()]
    restarted = queue_for(tmp_path, port, clock=lambda: now[0])
    assert settled(restarted).kept == 6  # all just written: each goes by its file's time
    restarted.stop()
    now[0] += 2 * KEEP_SECONDS
    restarted = queue_for(tmp_path, port, clock=lambda: now[0])
    assert settled(restarted).kept == 0
    with PrinterListener(port=port) as printer:  # the queue is still there, and prints
        restarted.submit(OTHER)
        assert settled(restarted) == PrinterStatus("ready", 0)
        assert b"Croissant" in printer.wait_for_receipts(1)[0]
    restarted.stop()
