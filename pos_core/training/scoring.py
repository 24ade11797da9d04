"""One trainee's run through one scenario: which step they are on, how long each took, the
hints they asked for and the mistakes they made. Pure: the app feeds it what it saw.

The app reports what happened at the till (``lookup``, ``refused``, ``voided``, ``returned``,
``paid``) and
the register's state (``TillView``); this decides whether a step's goal is met and whether the
trainee did something a cashier should not (``MISTAKES``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from pos_core.training.scenario import SCANNABLE, Scenario, Step

# Where an identification came from when the cashier typed it rather than a reader read it.
TYPED_SOURCES = frozenset({"keypad", "keyboard", "scan"})  # "scan": the register's item field
MISTAKE_POINTS = 15
HINT_POINTS = 5
# Per step: a point off for every ``SLOW_SECONDS`` over its par time, at most ``SLOW_CAP``.
SLOW_SECONDS = 10.0
SLOW_CAP = 10
PASS_MARK = 70

_GOAL_WORDS = {
    "ring_up": "ring up the basket",
    "identify": "find the customer",
    "enrol": "enrol the customer",
    "apply_reward": "offer the reward the customer could use",
    "return": "take back what the customer returned",
    "pay": "take payment",
}


@dataclass(frozen=True, slots=True)
class TillView:
    """What the register shows now, as far as the scenario's goals care."""

    basket: dict[str, int] = field(default_factory=dict)  # SKU -> quantity
    customer_id: str | None = None
    rewards: tuple[str, ...] = ()


@dataclass
class StepRecord:
    step: Step
    started: float | None = None
    seconds: float = 0.0
    hints: int = 0
    mistakes: list[str] = field(default_factory=list)
    done: bool = False
    missed: bool = False


class ScenarioRun:
    def __init__(self, scenario: Scenario, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.scenario = scenario
        self.clock = clock
        self.records = [StepRecord(step) for step in scenario.steps]
        self.index = 0
        self.acts_done = 0  # customer acts played in the current step
        self.finished = False
        self.enrolled = False
        self._payment_refusals = 0
        self._codes_seen: set[str] = set()
        # Units returned so far from the scenario's earlier sale (SKU -> units), as the service says.
        self._returned: dict[str, int] = {}
        self._wrong_returns: set[str] = set()
        self._sold_instead: set[int] = set()  # return steps whose item was rung up as a sale
        self._started: float | None = None
        self._finished_at: float | None = None

    # -- progress --------------------------------------------------------------------------------

    @property
    def step(self) -> Step | None:
        return None if self.finished else self.scenario.steps[self.index]

    @property
    def record(self) -> StepRecord:
        return self.records[min(self.index, len(self.records) - 1)]

    def start(self) -> Step:
        self._started = self.clock()
        self.records[0].started = self._started
        return self.scenario.steps[0]

    def update(self, view: TillView, *, paid: bool = False) -> list[Step]:
        """Steps whose goals ``view`` meets now, in order; each one done starts the next."""
        begun: list[Step] = []
        while not self.finished and self._met(self.scenario.steps[self.index], view, paid):
            self._close_step(done=True)
            if not self.finished:
                begun.append(self.scenario.steps[self.index])
        return begun

    def _met(self, step: Step, view: TillView, paid: bool) -> bool:
        expected = self.scenario.customer.account_id
        match step.goal:
            case "ring_up":
                return bool(self.scenario.basket) and all(
                    view.basket.get(sku, 0) >= quantity for sku, quantity in self.scenario.basket.items()
                )
            case "identify":
                return view.customer_id is not None and (expected is None or view.customer_id == expected)
            case "enrol":
                return view.customer_id is not None and self.enrolled
            case "apply_reward":
                return step.reward in view.rewards
            case "return":
                return bool(step.returns) and all(
                    self._returned.get(sku, 0) >= quantity for sku, quantity in step.returns
                )
            case "pay":
                return paid
        return False

    def _close_step(self, *, done: bool) -> None:
        now = self.clock()
        record = self.records[self.index]
        record.seconds = max(0.0, now - (record.started if record.started is not None else now))
        record.done, record.missed = done, not done
        if not done:
            record.mistakes.append(record.step.missed or f"did not {_GOAL_WORDS[record.step.goal]}")
        self.index += 1
        self.acts_done = 0
        if self.index >= len(self.records):
            self.finished = True
            self._finished_at = now
        else:
            self.records[self.index].started = now

    # -- the customer's part ---------------------------------------------------------------------

    def next_act(self) -> str | None:
        """What the customer does when the trainee hands over to them (F11), and counts it."""
        step = self.step
        if step is None or not step.customer_acts:
            return None
        act = step.customer_acts[min(self.acts_done, len(step.customer_acts) - 1)]
        self.acts_done += 1
        return act

    def act_label(self) -> str:
        step = self.step
        return step.act_label(self.acts_done) if step is not None else ""

    def hint(self) -> str:
        """The step's hint, counted against the trainee."""
        step = self.step
        if step is None:
            return ""
        self.record.hints += 1
        return step.hint or f"Your task now: {_GOAL_WORDS[step.goal]}."

    # -- what the trainee did ------------------------------------------------------------------------

    def lookup(self, method: str, source: str, value: str) -> list[str]:
        """The register looked a customer up; mistakes it shows, already recorded."""
        found: list[str] = []
        acts = {act for step in self.scenario.steps for act in step.customer_acts}
        if not self.finished and source in TYPED_SOURCES:
            # The customer carries something a reader reads, and never offered their number.
            if acts & SCANNABLE and "phone" not in acts:
                what = "phone number" if method == "phone" else "number"
                found.append(f"typed the {what} when the customer's card or app could be scanned (F11)")
        if method == "qr" and value.startswith("LQR1."):
            if value in self._codes_seen:
                found.append("scanned the same app code again: ask the customer to refresh it in the app")
            self._codes_seen.add(value)
        return self._mistakes(found)

    def refused(self, kind: str) -> list[str]:
        """The till refused a read; a payment card tried again after its refusal is a mistake."""
        if kind != "payment_card":
            return []
        self._payment_refusals += 1
        if self._payment_refusals > 1:
            return self._mistakes(["tried the payment card again after the till refused it"])
        return []

    def rang_up(self, view: TillView) -> list[str]:
        """The basket changed: ringing up what the customer brought back, during its return
        step, is selling it again instead of returning it (once a step)."""
        step = self.step
        if step is None or step.goal != "return" or self.index in self._sold_instead:
            return []
        if not any(view.basket.get(sku, 0) for sku, _ in step.returns):
            return []
        self._sold_instead.add(self.index)
        return self._mistakes(["rang up the item the customer brought back instead of returning it (F12)"])

    def returned(self, counts: dict[str, int]) -> list[str]:
        """What has come back from the earlier sale so far, SKU -> units (every return of it,
        as the service records them). Returning an item the customer kept, or more of one than
        they brought, is a mistake (once an item); the app then calls ``update``."""
        self._returned = {sku: count for sku, count in counts.items() if count > 0}
        wanted: dict[str, int] = {}
        for step in self.scenario.steps:
            for sku, quantity in step.returns:
                wanted[sku] = wanted.get(sku, 0) + quantity
        found: list[str] = []
        for sku, count in sorted(self._returned.items()):
            if count <= wanted.get(sku, 0) or sku in self._wrong_returns:
                continue
            self._wrong_returns.add(sku)
            if wanted.get(sku):
                found.append(f"returned more of item {sku} than the customer brought back")
            else:
                found.append(f"returned item {sku}, which the customer kept: return only what they bring back")
        return self._mistakes(found)

    def voided(self) -> list[str]:
        return self._mistakes(["voided the sale instead of carrying on"])

    def paid(self, view: TillView) -> list[str]:
        """The sale was paid, as ``view`` shows it: the scenario ends, steps not done are missed."""
        before = sum(len(r.mistakes) for r in self.records)
        while not self.finished:
            step = self.scenario.steps[self.index]
            self._close_step(done=self._met(step, view, True))
        return [m for r in self.records for m in r.mistakes][before:]

    def _mistakes(self, found: list[str]) -> list[str]:
        self.record.mistakes.extend(found)
        return found

    # -- the score -----------------------------------------------------------------------------------

    @property
    def hints(self) -> int:
        return sum(r.hints for r in self.records)

    @property
    def mistakes(self) -> list[str]:
        return [m for r in self.records for m in r.mistakes]

    @property
    def seconds(self) -> float:
        if self._started is None:
            return 0.0
        return (self._finished_at if self._finished_at is not None else self.clock()) - self._started

    @property
    def score(self) -> int:
        return score(self.records)


def score(records: list[StepRecord]) -> int:
    """100, less 15 a mistake, 5 a hint, and a little for each step well over its par time."""
    points = 100
    for record in records:
        points -= MISTAKE_POINTS * len(record.mistakes) + HINT_POINTS * record.hints
        over = record.seconds - record.step.par_seconds
        if over > 0:
            points -= min(SLOW_CAP, int(over // SLOW_SECONDS) + 1)
    return max(0, min(100, points))
