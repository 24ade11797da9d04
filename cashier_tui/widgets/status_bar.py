"""Top line: which store and till this is, and whether the loyalty service answers."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widgets import Label

SERVICE_WORDS = {
    "checking": "Loyalty: connecting…",
    "online": "Loyalty: online",
    "offline": "Loyalty: OFFLINE",
    "refused": "Loyalty: key refused",
}


class StatusBar(Horizontal):
    location: reactive[str] = reactive("")
    service_state: reactive[str] = reactive("checking")

    def compose(self) -> ComposeResult:
        yield Label(id="status-location")
        yield Label(id="status-service")

    def watch_location(self, location: str) -> None:
        self.query_one("#status-location", Label).update(location)

    def watch_service_state(self, state: str) -> None:
        label = self.query_one("#status-service", Label)
        label.update(f"● {SERVICE_WORDS.get(state, state)}")
        label.set_classes(f"service-{state}")
