"""Top line: which store and till this is (and who is signed on, when cashiers sign on), whether the loyalty service answers, the receipt
printer's state when it needs someone (offline, out of paper, cover open, receipts not printed),
and the pole display when it cannot be written."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.content import Content
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widgets import Label

from pos_core.print_queue import PrinterStatus
from pos_core.printer_words import printer_words
from pos_core.shown_text import printable

SERVICE_WORDS = {
    "checking": "Loyalty: connecting…",
    "online": "Loyalty: online",
    "degraded": "Loyalty: catching up",
    "offline": "Loyalty: OFFLINE",
    "refused": "Loyalty: key refused",
}


def shown_state(service_state: str, waiting: int) -> str:
    """Online with sales still waiting is 'degraded': the service answers but is behind."""
    return "degraded" if service_state == "online" and waiting else service_state


class StatusBar(Horizontal):
    location: reactive[str] = reactive("")
    # The cashier signed on (staff_sign_on.py), e.g. "Sam Carter"; "" when nobody signs on.
    cashier: reactive[str] = reactive("")
    service_state: reactive[str] = reactive("checking")
    waiting_sales: reactive[int] = reactive(0)
    stuck_sales: reactive[int] = reactive(0)
    storage_problem: reactive[str | None] = reactive(None)
    printer_status: reactive[PrinterStatus | None] = reactive(None)
    pole_problem: reactive[str | None] = reactive(None)

    def compose(self) -> ComposeResult:
        yield Label(id="status-location")
        yield Label("F1 help", id="status-help")
        yield Label(id="status-printer")
        yield Label("Pole display unavailable", id="status-pole", classes="printer-problem")
        yield Label(id="status-service")

    def watch_printer_status(self, status: PrinterStatus | None) -> None:
        label = self.query_one("#status-printer", Label)
        words = printer_words(status)
        label.update(words)
        label.display = bool(words)
        label.set_classes("printer-problem" if status is not None and status.problem else "printer-note")

    def watch_pole_problem(self, problem: str | None) -> None:
        # Why is in the notification and F1 help; the top line only says it is not showing.
        self.query_one("#status-pole", Label).display = bool(problem)

    def watch_location(self) -> None:
        self._show_location()

    def watch_cashier(self) -> None:
        self._show_location()

    def _show_location(self) -> None:
        # The store's name comes from the settings, the cashier's from the service: text, not markup.
        where = f"{self.location} · {self.cashier}" if self.cashier else self.location
        self.query_one("#status-location", Label).update(Content(printable(where)))

    def watch_service_state(self) -> None:
        self._show()

    def watch_waiting_sales(self) -> None:
        self._show()

    def watch_stuck_sales(self) -> None:
        self._show()

    def watch_storage_problem(self) -> None:
        self._show()

    def _show(self) -> None:
        state = shown_state(self.service_state, self.waiting_sales)
        text = f"● {SERVICE_WORDS.get(state, state)}"
        if self.waiting_sales:
            text += f" · {self.waiting_sales} sale{'s' if self.waiting_sales != 1 else ''} waiting"
        if self.stuck_sales:
            # The service keeps failing these (the same 5xx): kept and retried slowly; a supervisor checks.
            text += f" ({self.stuck_sales} stuck: tell your supervisor)"
        if self.storage_problem:
            text += " · TILL STORAGE FAULT: tell IT"
        label = self.query_one("#status-service", Label)
        label.update(text)
        label.set_classes(f"service-{'offline' if self.storage_problem else state}")
