"""The end of a scenario: the score, each step's time, hints and mistakes."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Label, Static

from pos_core.training.results import TrainingResult
from pos_core.training.scoring import PASS_MARK
from pos_core.shown_text import printable
from till_tui.keys_footer import KeysFooter

_GOALS = {
    "ring_up": "Ring up",
    "identify": "Find customer",
    "enrol": "Enrol",
    "apply_reward": "Reward",
    "return": "Return",
    "pay": "Payment",
}


class ResultScreen(Screen[bool]):
    """Dismisses True for another scenario, False to finish training."""

    BINDINGS = [
        Binding("enter", "next", "Next scenario", id="result.next", tooltip="Choose the next scenario", priority=True),
        Binding("escape", "finish", "Finish", id="result.finish", tooltip="Finish training"),
    ]

    def __init__(self, result: TrainingResult) -> None:
        super().__init__()
        self.result = result

    def compose(self) -> ComposeResult:
        result = self.result
        with VerticalScroll(id="result-body"):
            yield Label(printable(f"{result.trainee} · {result.scenario_title}"), classes="dialog-title", markup=False)
            verdict = "passed" if result.passed else f"not yet: {PASS_MARK} passes"
            yield Label(
                f"Score {result.score} / 100 · {verdict} · {result.seconds:.0f} s · hints {result.hints}",
                id="result-score",
                classes="passed" if result.passed else "",
            )
            table = Table(expand=True, box=None, pad_edge=False)
            table.add_column("Step")
            table.add_column("Time", justify="right")
            table.add_column("Hints", justify="right")
            table.add_column("Mistakes", justify="right")
            table.add_column("")
            for number, step in enumerate(result.steps, start=1):
                table.add_row(
                    Text(printable(f"{number}. {_GOALS.get(step.goal, step.goal)}")),  # a str cell is markup
                    f"{step.seconds:.0f} s",
                    str(step.hints),
                    str(len(step.mistakes)),
                    "done" if step.done else "missed",
                )
            yield Static(table, id="result-steps")
            if result.mistakes:
                yield Label("What to do better", classes="section")
                for mistake in result.mistakes:
                    yield Label(printable(f"• {mistake[:1].upper()}{mistake[1:]}."), classes="result-mistake", markup=False)
            else:
                yield Label("No mistakes.", classes="muted")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.border_title = "TRAINING · result"

    def action_next(self) -> None:
        self.dismiss(True)

    def action_finish(self) -> None:
        self.dismiss(False)
