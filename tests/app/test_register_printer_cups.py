"""The register's receipts through CUPS (``cups://QUEUE``): a private cupsd (tests/cups_server.py)
with a raw queue whose device is a network printer played by a TCP listener on loopback. A real sale
prints through python-escpos's CupsPrinter and pycups; the bytes the printer got are the receipt as
the till made them. A stopped queue, an unknown queue, a printer gone from behind its queue and no
CUPS server at all each keep the receipt and say so, and ``python -m devices list`` reports them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
from textual.widgets import Label

from devices.__main__ import printer_row
from devices.receipt_printer import ReceiptPrinter
from pos_core.print_queue import PrintQueue, PrinterStatus
from pos_core.settings import PrinterSettings
from tests.app.conftest import wait_for
from tests.app.test_register_flow import SIZE
from tests.app.test_register_printer import NUMBER, cash_sale_for_alice, sale_kept_offline
from tests.cups_server import CupsServer
from tests.printer_listener import PrinterListener
from tests.unit.test_print_queue import RECEIPT, free_port
from tests.waiting import wait_until

QUEUE = "receipts"


async def test_the_register_prints_its_sale_through_a_raw_cups_queue(cashier, api: httpx.Client, cups_server: CupsServer,
                                                                     monkeypatch) -> None:
    monkeypatch.setenv("CUPS_SERVER", cups_server.address)
    with PrinterListener() as printer:
        cups_server.add_raw_queue(QUEUE, f"socket://127.0.0.1:{printer.port}")
        app = cashier(printer=PrinterSettings(connection=f"cups://{QUEUE}"))
        async with app.run_test(size=SIZE) as pilot:
            shown = await cash_sale_for_alice(pilot)
            [paper] = printer.wait_for_receipts(1)
            # Raw: the till's bytes, unfiltered. Initialise, then CP858 (ESC t 19), where £ is 0x9C.
            assert paper.startswith(b"\x1b@") and paper.index(b"\x1b@") < paper.index(b"\x1bt\x13")
            assert "£".encode("cp858") in paper and "£".encode() not in paper
            assert next(line for line in shown if line.startswith("TOTAL")).encode("cp858") in paper
            assert b"\x1d(k" + (len(NUMBER) + 3).to_bytes(2, "little") + b"1P0" + NUMBER.encode() in paper
            assert paper.index(b"\x1dV") < paper.index(b"\x1bp\x00")  # cut, then the drawer for cash
            # CUPS passes no status query on, so none is sent: no DLE EOT in the receipt, no job of its own.
            assert b"\x10\x04" not in paper
            await wait_for(pilot, lambda: app.printer_status is not None and app.printer_status.state == "ready"
                           and app.printer_status.kept == 0)
            assert not app.register_screen.query_one("#status-printer", Label).display
            assert [bytes(c.data) for c in printer.connections] == [paper]
            completed = cups_server.connection().getJobs(which_jobs="completed")
            assert len(completed) == 1


async def test_a_stopped_queue_keeps_the_receipt_and_ctrl_p_prints_it_once_started(cashier, api: httpx.Client,
                                                                                  cups_server: CupsServer,
                                                                                  monkeypatch) -> None:
    monkeypatch.setenv("CUPS_SERVER", cups_server.address)
    with PrinterListener() as printer:
        cups_server.add_raw_queue(QUEUE, f"socket://127.0.0.1:{printer.port}")
        cups_server.connection().disablePrinter(QUEUE)  # cupsdisable receipts
        app = cashier(printer=PrinterSettings(connection=f"cups://{QUEUE}"))
        async with app.run_test(size=SIZE) as pilot:
            await sale_kept_offline(pilot, api)
            assert not cups_server.connection().getJobs(which_jobs="all")  # nothing left in CUPS to print later

            cups_server.connection().enablePrinter(QUEUE)  # cupsenable receipts
            await pilot.press("ctrl+p")
            [paper] = printer.wait_for_receipts(1)
            assert NUMBER.encode() in paper
            await wait_for(pilot, lambda: app.printer_status.kept == 0 and app.printer_status.state == "ready")
            await wait_for(pilot, lambda: not app.register_screen.query_one("#status-printer", Label).display)


def printed_through(queue_name: str, folder: Path, timeout: float = 2) -> tuple[PrintQueue, PrinterStatus]:
    """The till's print queue with the real driver on ``cups://queue_name``, after one receipt."""
    queue = PrintQueue(folder, ReceiptPrinter(PrinterSettings(connection=f"cups://{queue_name}", timeout=timeout),
                                              width=40), poll_seconds=60)
    queue.start()
    queue.submit(RECEIPT)
    assert queue.wait_idle(30)
    queue.stop()
    return queue, queue.status


def test_an_unknown_queue_a_printer_gone_and_no_cups_server_keep_the_receipt_and_say_why(
        tmp_path: Path, cups_server: CupsServer, monkeypatch) -> None:
    monkeypatch.setenv("CUPS_SERVER", cups_server.address)
    _, status = printed_through("nosuch", tmp_path / "unknown")
    assert (status.state, status.kept) == ("offline", 1)
    assert status.why == f"the CUPS server at {cups_server.address} has no queue nosuch (lpstat -p lists its queues)"
    assert printer_row("cups://nosuch", None, None) == ("receipt printer cups://nosuch", status.why)

    # The queue is there, the printer behind it is not: CUPS would keep trying (and print the receipt
    # whenever the printer came back, beside the till's reprint), so the till cancels the job and keeps it.
    cups_server.add_raw_queue("gone", f"socket://127.0.0.1:{free_port()}")
    _, status = printed_through("gone", tmp_path / "gone", timeout=1)
    assert (status.state, status.kept) == ("offline", 1)
    assert status.why.startswith("the receipt's CUPS job did not reach the printer within 1 s")
    wait_until(lambda: not cups_server.connection().getJobs(which_jobs="not-completed"), timeout=10,
               what="the receipt's job cancelled in CUPS")

    cups_server.stop()
    wait_until(lambda: not cups_server.running(), timeout=10, what="cupsd stopped")
    _, status = printed_through(QUEUE, tmp_path / "stopped")
    assert (status.state, status.kept) == ("offline", 1)
    assert status.why == f"the CUPS server at {cups_server.address} does not answer (is cupsd running?)"
    assert printer_row(f"cups://{QUEUE}", None, None)[1] == status.why


def test_devices_list_reports_a_cups_queue(cups_server: CupsServer) -> None:
    with PrinterListener() as printer:
        cups_server.add_raw_queue(QUEUE, f"socket://127.0.0.1:{printer.port}")
        result = subprocess.run([sys.executable, "-m", "devices", "list", "--printer", f"cups://{QUEUE}",
                                 "--nfc", "udp:127.0.0.1:9", "--json"], capture_output=True, text=True, timeout=60,
                                env={**os.environ, "CUPS_SERVER": cups_server.address})
    assert result.returncode == 0, result.stderr
    rows = [row for row in map(json.loads, result.stdout.splitlines()) if row["source"].startswith("receipt printer")]
    assert rows == [{"source": f"receipt printer cups://{QUEUE}", "available": True, "why_not": None}]
    assert not printer.connections  # asking CUPS prints nothing
