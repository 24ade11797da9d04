"""The till's print queue: receipts go to the printer from a thread of their own, beside the sale.

- ``submit`` never blocks and never fails: the sale is complete whether or not the paper came out.
- Each receipt is kept in the till's data folder (``<till>/receipts/kept/``) until the printer has
  taken it, so a receipt that did not print survives a restart of the till.
- ``reprint`` prints the receipts that failed (oldest first) or, when none did, the last one again.
- A kept receipt is dropped after a day (``KEEP_SECONDS``), looked at on start, on each poll and
  before a reprint: a shopper asks for theirs before they leave, and a reprint after a printer was
  off for days must not run off days of paper. The sale itself is in the outbox either way; the
  log says how many were dropped.
- The printer's state ("ready", "printing", "offline", "out of paper", "cover open", "paper low")
  reaches the till through ``on_status``, called from the queue's thread; while something is wrong
  the printer is asked again every ``poll_seconds``, so the status line clears when it is mended.

The printer itself is any object with ``print_receipt(receipt) -> state`` and ``state() -> state``
that raises ``PrinterFault`` (``devices/receipt_printer.py`` is the real one): pos_core drives no device.
"""

from __future__ import annotations

import json
import logging
import math
import os
import queue
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from pos_core.printed_receipt import PrintedReceipt

log = logging.getLogger(__name__)

# States in which the printer cannot print; "paper low" still prints.
PROBLEM_STATES = ("offline", "out of paper", "cover open", "unavailable")


class PrinterFault(Exception):
    """The printer could not take a receipt now. ``state``: what the status line shows; ``why``: plain words."""

    def __init__(self, state: str, why: str) -> None:
        super().__init__(why)
        self.state = state
        self.why = why


class ReceiptSink(Protocol):
    def print_receipt(self, receipt: PrintedReceipt) -> str: ...

    def state(self) -> str: ...


@dataclass(frozen=True, slots=True)
class PrinterStatus:
    state: str  # checking | ready | printing | paper low | offline | out of paper | cover open | unavailable
    kept: int = 0  # receipts that did not print, kept on the till for a reprint
    why: str = ""

    @property
    def problem(self) -> bool:
        return self.state in PROBLEM_STATES or self.kept > 0


# How long a receipt that did not print is kept for a reprint, by the wall clock it was kept at.
KEEP_SECONDS = 24 * 3600

_STOP = object()
_REPRINT = object()
_CHECK = object()


class PrintQueue:
    def __init__(
        self,
        folder: Path,
        printer: ReceiptSink,
        *,
        on_status: Callable[[PrinterStatus], None] | None = None,
        poll_seconds: float = 20.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.folder = folder
        self.kept_dir = folder / "kept"
        self.printer = printer
        self.on_status = on_status
        self.poll_seconds = poll_seconds
        self.clock = clock
        self.status = PrinterStatus("checking")
        self._jobs: queue.Queue[object] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._last: PrintedReceipt | None = None
        self._state = "checking"
        self._why = ""
        # Jobs taken and not yet finished, for ``wait_idle``.
        self._busy = 0
        self._idle = threading.Condition()

    # -- the till's side (never blocks) ---------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="print queue", daemon=True)
        self._thread.start()
        self._put(_CHECK)

    def submit(self, receipt: PrintedReceipt) -> None:
        """Print ``receipt`` beside the sale (kept on the till until the printer has it)."""
        self._put(receipt)

    def reprint(self) -> None:
        """The receipts that did not print, oldest first; else the last receipt again."""
        self._put(_REPRINT)

    @property
    def has_last(self) -> bool:
        """Whether there is a receipt to print again (known once the queue's thread has started)."""
        return self._last is not None

    def stop(self, timeout: float = 2.0) -> None:
        self._jobs.put(_STOP)
        if self._thread is not None:
            self._thread.join(timeout)

    def wait_idle(self, timeout: float) -> bool:
        """Until every job given so far is done (for tests and the benchmark); False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._busy == 0, timeout)

    def _put(self, job: object) -> None:
        with self._idle:
            self._busy += 1
        self._jobs.put(job)

    # -- the queue's thread ------------------------------------------------------------------------

    def _run(self) -> None:
        self._last = self._read_last()
        while True:
            wait = self.poll_seconds if self.status.problem else None
            try:
                job = self._jobs.get(timeout=wait)
            except queue.Empty:
                job = _CHECK
                with self._idle:
                    self._busy += 1
            if job is _STOP:
                return
            try:
                self._do(job)
            except Exception as error:  # a bug here must not stop the queue: the next receipt still prints
                log.error("print queue job failed: %s", type(error).__name__)
            finally:
                with self._idle:
                    self._busy -= 1
                    self._idle.notify_all()

    def _do(self, job: object) -> None:
        if job is _CHECK:
            self._check()
        elif job is _REPRINT:
            self._drop_old()
            waiting = self._kept()
            for receipt in waiting or ([self._last] if self._last else []):
                if not self._print(receipt):
                    break  # the printer is not taking receipts: the rest stay kept
        elif isinstance(job, PrintedReceipt):
            self._keep(job)
            self._last = job
            self._write_last(job)
            self._print(job)

    def _print(self, receipt: PrintedReceipt) -> bool:
        self._report("printing", "")
        try:
            state = self.printer.print_receipt(receipt)
        except PrinterFault as fault:
            self._report(fault.state, fault.why)
            return False
        except Exception as error:  # whatever the driver raised: the receipt stays kept, selling goes on
            log.error("printing a receipt failed: %s", type(error).__name__)
            self._report("offline", f"the printer could not be used ({type(error).__name__})")
            return False
        self._forget(receipt)
        self._report(state, "")
        return True

    def _check(self) -> None:
        self._drop_old()  # at start (the first job), and every poll while something is kept
        try:
            state = self.printer.state()
        except PrinterFault as fault:
            self._report(fault.state, fault.why)
            return
        except Exception as error:
            log.error("asking the printer failed: %s", type(error).__name__)
            self._report("offline", f"the printer could not be asked ({type(error).__name__})")
            return
        self._report(state, "" if state not in PROBLEM_STATES else self._why)

    def _report(self, state: str, why: str) -> None:
        self._state, self._why = state, why
        status = PrinterStatus(state, len(self._kept_files()), why)
        if status == self.status:
            return
        self.status = status
        if self.on_status is not None:
            try:
                self.on_status(status)
            except Exception as error:
                log.error("printer status listener failed: %s", type(error).__name__)

    # -- receipts kept on the till ----------------------------------------------------------------

    def _path(self, receipt: PrintedReceipt) -> Path:
        return self.kept_dir / f"{re.sub(r'[^A-Za-z0-9-]', '_', receipt.receipt_id)[:80]}.json"

    def _keep(self, receipt: PrintedReceipt) -> None:
        try:
            self.kept_dir.mkdir(parents=True, exist_ok=True)
            _write_json(self._path(receipt), {"kept_at": self.clock(), "receipt": receipt.to_json()})
        except OSError as error:
            # It still prints now; it only could not be kept for a reprint after a restart.
            log.error("keeping a receipt failed: %s", type(error).__name__)

    def _forget(self, receipt: PrintedReceipt) -> None:
        try:
            self._path(receipt).unlink(missing_ok=True)
        except OSError as error:
            log.error("clearing a printed receipt failed: %s", type(error).__name__)

    def _drop_old(self) -> None:
        """Forget the kept receipts kept over ``KEEP_SECONDS`` ago, or over that far "ahead" (kept
        while the clock was wrong, or the clock has since gone back more than that: its age cannot
        be told, and kept it might be reprinted for ever). An unreadable one goes by its file's time."""
        now = self.clock()
        dropped = 0
        for path in self._kept_files():
            kept_at = _kept_at(path)
            if kept_at is None:
                continue
            if abs(now - kept_at) > KEEP_SECONDS:
                try:
                    path.unlink(missing_ok=True)
                    dropped += 1
                except OSError as error:
                    log.error("dropping an old kept receipt failed: %s", type(error).__name__)
        if dropped:
            log.warning("%d receipt(s) that did not print were kept over a day and are dropped"
                        " (their sales are in the outbox)", dropped)
            self._report(self._state, self._why)

    def _kept_files(self) -> list[Path]:
        try:
            return sorted(self.kept_dir.glob("*.json"), key=lambda path: path.stat().st_mtime)
        except OSError:
            return []

    def _kept(self) -> list[PrintedReceipt]:
        kept = []
        for path in self._kept_files():
            try:
                kept.append(PrintedReceipt.from_json(json.loads(path.read_text("utf-8"))["receipt"]))
            except Exception:  # damaged or hand-made: the others still print
                log.error("a kept receipt could not be read: %s", path.name)
        return kept

    def _write_last(self, receipt: PrintedReceipt) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            # Only for a reprint: written whole (a rename), not waited onto the disk as a kept receipt is.
            _write_json(self.folder / "last.json", receipt.to_json(), sync=False)
        except OSError as error:
            log.error("keeping the last receipt failed: %s", type(error).__name__)

    def _read_last(self) -> PrintedReceipt | None:
        try:
            return PrintedReceipt.from_json(json.loads((self.folder / "last.json").read_text("utf-8")))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            log.error("the last receipt could not be read")
            return None


def _kept_at(path: Path) -> float | None:
    """When the receipt in ``path`` was kept (by its file's time when the file does not say,
    or says something that is not a time); None when the file cannot be read at all."""
    try:
        kept_at = json.loads(path.read_text("utf-8"))["kept_at"]
        if isinstance(kept_at, int | float) and not isinstance(kept_at, bool) and math.isfinite(kept_at):
            return float(kept_at)
    except Exception:  # whatever the file holds (it may be anything, damaged or hand-made)
        pass
    try:
        return path.stat().st_mtime
    except OSError:
        return None


def _write_json(path: Path, data: object, *, sync: bool = True) -> None:
    """Written whole or not at all (the old file or the new one); with ``sync``, on the disk
    before it counts, so a power cut does not lose a receipt that did not print."""
    part = path.with_suffix(".part")
    with part.open("w", encoding="utf-8") as handle:
        json.dump(data, handle, ensure_ascii=False)
        if sync:
            handle.flush()
            os.fsync(handle.fileno())
    os.replace(part, path)
