"""The TRAINING banner over the register: the scenario, the step's story, a hint when asked."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.widgets import Label

from pos_core.shown_text import printable


class TrainingBanner(Vertical):
    title: reactive[str] = reactive("")
    say: reactive[str] = reactive("")
    hint: reactive[str] = reactive("")
    # The training keys that work now, in the scenario's words (the footer is full of the register's).
    keys: reactive[str] = reactive("")
    hints: reactive[int] = reactive(0)
    mistakes: reactive[int] = reactive(0)

    def compose(self) -> ComposeResult:
        with Horizontal(id="training-line"):
            yield Label(id="training-title", markup=False)
            yield Label(id="training-score")
        yield Label(id="training-say", markup=False)
        yield Label(id="training-keys", markup=False)
        yield Label(id="training-hint", markup=False)

    def on_mount(self) -> None:
        self._show()

    def watch_title(self) -> None:
        self._show()

    def watch_say(self) -> None:
        self._show()

    def watch_hint(self) -> None:
        self._show()

    def watch_keys(self) -> None:
        self._show()

    def watch_hints(self) -> None:
        self._show()

    def watch_mistakes(self) -> None:
        self._show()

    def _show(self) -> None:
        if not self.is_mounted or not self.query("#training-title"):
            return  # not composed yet, or being taken down as the app closes
        # The scenario file's words are text (the labels take no markup), and no control character
        # in them reaches the terminal.
        self.query_one("#training-title", Label).update(printable(self.title) or "TRAINING")
        self.query_one("#training-score", Label).update(f"hints {self.hints} · mistakes {self.mistakes}")
        self.query_one("#training-say", Label).update(printable(self.say))
        keys = self.query_one("#training-keys", Label)
        keys.update(printable(self.keys))
        keys.display = bool(self.keys)
        hint = self.query_one("#training-hint", Label)
        hint.update(f"Hint: {printable(self.hint)}" if self.hint else "")
        hint.display = bool(self.hint)
