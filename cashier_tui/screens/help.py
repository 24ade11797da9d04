"""F1: what each message on the till means and what to do, grouped by topic. Same in training."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from cashier_tui.help_entries import HELP, HelpEntry
from pos_core.shown_text import printable


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "close", "Close", id="help.close", tooltip="Back to the till"),
        Binding("f1", "close", "Close", show=False, id="help.close_f1", tooltip="Back to the till"),
    ]

    def __init__(self, keys: list[tuple[str, str]] | None = None) -> None:
        """``keys``: (key, what it does) for every key of the screen underneath, shown first."""
        super().__init__()
        self.keys = keys or []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="help-dialog"):
            yield Label("Keys, and what the messages mean", classes="dialog-title")
            yield Input(placeholder="Type a word to find it", id="help-filter")
            with VerticalScroll(id="help-entries"):
                for key, does in self.keys:
                    # A keymap in the settings may have renamed the keys: text, not markup.
                    yield Label(printable(f"{key:>6}  {does}"), classes="help-key", markup=False)
                for entry in HELP:
                    yield _entry(entry)
            yield Label("Esc  close", classes="hint")

    @on(Input.Changed, "#help-filter")
    def filter(self, event: Input.Changed) -> None:
        words = event.value.lower().split()
        for widget, (key, does) in zip(self.query(".help-key"), self.keys, strict=True):
            widget.display = all(word in f"{key} {does}".lower() for word in words)
        for widget, entry in zip(self.query(".help-entry"), HELP, strict=True):
            text = f"{entry.topic} {entry.message} {entry.means} {entry.do}".lower()
            widget.display = all(word in text for word in words)

    def action_close(self) -> None:
        self.dismiss(None)


def _entry(entry: HelpEntry) -> Vertical:
    return Vertical(
        Label(f"{entry.topic}: {entry.message}", classes="help-message", markup=False),
        Label(f"Means: {entry.means}", classes="help-means", markup=False),
        Label(f"Do: {entry.do}", classes="help-do", markup=False),
        classes="help-entry",
    )
