"""Choose the next scenario; the ones this trainee finished show their score."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from pos_core.shown_text import printable
from pos_core.training.scenario import Scenario


class ScenarioPicker(ModalScreen[Scenario | None]):
    BINDINGS = [Binding("escape", "cancel", "Finish", id="scenarios.cancel", tooltip="Finish training")]

    def __init__(self, scenarios: list[Scenario], scores: dict[str, int], trainee: str) -> None:
        super().__init__()
        self.scenarios = scenarios
        self.scores = scores
        self.trainee = trainee

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="scenario-dialog"):
            yield Label(f"{printable(self.trainee)}: choose a scenario", classes="dialog-title", markup=False)
            yield OptionList(
                *[
                    Option(  # the scenario file's title: a Content, never markup
                        Content(printable(scenario.title)
                                + (f"  ✓ {self.scores[scenario.id]}" if scenario.id in self.scores else "")),
                        id=scenario.id,
                    )
                    for scenario in self.scenarios
                ],
                id="scenario-list",
            )
            yield Label("↑ ↓  choose    Enter  start    Esc  finish training", classes="hint")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        undone = next((i for i, s in enumerate(self.scenarios) if s.id not in self.scores), 0)
        options.highlighted = undone
        options.focus()

    @on(OptionList.OptionSelected, "#scenario-list")
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.scenarios[event.option_index])

    def action_cancel(self) -> None:
        self.dismiss(None)
