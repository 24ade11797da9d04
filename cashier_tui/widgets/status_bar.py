"""Top line: which store and till this is, and whether the loyalty service answers."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.content import Content
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widgets import Label

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
    service_state: reactive[str] = reactive("checking")
    waiting_sales: reactive[int] = reactive(0)
    stuck_sales: reactive[int] = reactive(0)
    storage_problem: reactive[str | None] = reactive(None)

    def compose(self) -> ComposeResult:
        yield Label(id="status-location")
        yield Label("F1 help", id="status-help")
        yield Label(id="status-service")

    def watch_location(self, location: str) -> None:
        # The store's name comes from the settings: text, not markup.
        self.query_one("#status-location", Label).update(Content(printable(location)))

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
