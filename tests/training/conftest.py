"""Training mode against its own sandbox store: a trainee who does each scenario right, and one
who makes the mistakes the scoring must catch."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, SelectionList

from cashier_tui.screens.enrol import EnrolScreen
from cashier_tui.screens.payment import PaymentScreen
from cashier_tui.screens.phone_entry import PhoneEntryScreen
from cashier_tui.screens.receipt import ReceiptScreen
from cashier_tui.screens.register import RegisterScreen
from cashier_tui.screens.return_sale import ReturnScreen
from cashier_tui.training.app import TrainingApp, make_training_app
from cashier_tui.training.result_screen import ResultScreen
from cashier_tui.training.scenario_picker import ScenarioPicker
from pos_core.settings import Settings
from pos_core.training.sandbox import Sandbox
from pos_core.training.scenario import Scenario, Step
from tests.conftest import told
from tests.app.conftest import wait_for
from tests.app.test_register_flow import type_text

SIZE = (80, 24)
TRAINEE = "Robin Test"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "till-data"


@pytest.fixture
def sandbox(data_dir: Path) -> Iterator[Sandbox]:
    with Sandbox.start(data_dir) as running:
        yield running


@pytest.fixture
def training(sandbox: Sandbox, data_dir: Path) -> Callable[..., TrainingApp]:
    def build(scenarios: list[Scenario], **settings) -> TrainingApp:
        return make_training_app(Settings(data_dir=data_dir, **settings), sandbox, scenarios, trainee=TRAINEE)

    return build


async def start_scenario(pilot: Pilot, index: int = 0) -> TrainingApp:
    app = pilot.app
    assert isinstance(app, TrainingApp)
    await wait_for(pilot, lambda: isinstance(app.screen, ScenarioPicker), timeout=30)
    for _ in range(index):
        await pilot.press("down")
    await pilot.press("enter")
    await wait_for(pilot, lambda: app.run_state is not None and app.screen is app.register_screen)
    await pilot.pause()
    return app


def step_index(app: TrainingApp) -> int:
    return app.run_state.index if app.run_state is not None else -1


async def do_step(pilot: Pilot, app: TrainingApp, step: Step) -> None:
    """What a well-trained cashier does for ``step``."""
    scenario = app.run_state.scenario
    here = step_index(app)
    match step.goal:
        case "ring_up":
            for sku, quantity in scenario.basket.items():
                await type_text(pilot, sku if quantity == 1 else f"{quantity}*{sku}")
                await pilot.press("enter")
        case "identify" | "enrol":
            for number, act in enumerate(step.customer_acts):
                refusals = len(told(app))
                await pilot.press("f11")
                if act == "phone":
                    await pilot.press("f2")
                    await wait_for(pilot, lambda: isinstance(app.screen, PhoneEntryScreen))
                    await type_text(pilot, scenario.customer.phone)
                    await pilot.press("enter")
                if step.goal == "enrol":
                    await wait_for(pilot, lambda: isinstance(app.screen, EnrolScreen))
                    await type_text(pilot, scenario.customer.name)
                    await pilot.click("#enrol-terms")
                    await pilot.click("#enrol-ok")
                if number < len(step.customer_acts) - 1:
                    # Refused (a payment card, an old app code): told, then ask for the right thing.
                    await wait_for(pilot, lambda: len(told(app)) > refusals, timeout=30)
        case "return":
            await pilot.press("f11")  # the customer hands over the receipt: its code is scanned
            await wait_for(pilot, lambda: isinstance(app.screen, ReturnScreen) and app.screen.lines, timeout=30)
            await return_lines(pilot, app.screen, dict(step.returns))
            await pilot.press("escape")
            await wait_for(pilot, lambda: isinstance(app.screen, RegisterScreen))
        case "apply_reward":
            await pilot.press("f3")
            await wait_for(pilot, lambda: app.screen.query("#rewards-list"))
            app.screen.query_one("#rewards-list", SelectionList).select(step.reward)
            await pilot.press("f3")
        case "pay":
            await pilot.press("f10")
            await wait_for(pilot, lambda: isinstance(app.screen, PaymentScreen))
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.screen, ReceiptScreen))
            return
    await wait_for(pilot, lambda: step_index(app) > here, timeout=30)


async def return_lines(pilot: Pilot, screen: ReturnScreen, units: dict[str, int]) -> None:
    """On the open return screen: ``units`` (SKU -> how many) of the sale's lines, refunded (F10)."""
    left = [line for line in screen.lines if line.left > 0]
    await wait_for(pilot, lambda: all(screen.query(f"#return-qty-{line.line}") for line in left))
    for line in left:
        screen.query_one(f"#return-qty-{line.line}", Input).value = str(units.get(line.sku, 0))
    await pilot.press("f10")
    await wait_for(pilot, lambda: screen.result is not None, timeout=30)


async def finish(pilot: Pilot, app: TrainingApp) -> ResultScreen:
    """Close the receipt; the result comes up."""
    await wait_for(pilot, lambda: isinstance(app.screen, ReceiptScreen))
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, ResultScreen))
    return app.screen


async def play_well(pilot: Pilot, app: TrainingApp) -> ResultScreen:
    for step in app.run_state.scenario.steps:
        await do_step(pilot, app, step)
    return await finish(pilot, app)
