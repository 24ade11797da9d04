"""Every shipped scenario, played through the real register on the sandbox to its score."""

from __future__ import annotations

import pytest

from cashier_tui.screens.receipt import ReceiptScreen
from pos_core.receipt import TRAINING_MARK
from pos_core.training.scenario import shipped_scenarios
from tests.app.conftest import wait_for
from tests.app.test_register_flow import notifications
from tests.training.conftest import SIZE, TRAINEE, do_step, start_scenario

SHIPPED = shipped_scenarios()
# What the trainee must have been told on the way, by scenario.
TOLD = {
    "07-payment-card-by-mistake": "please use the payment terminal",
    "08-expired-app-code": "This app code has expired",
    "09-replayed-app-code": "This app code was already used",
    "06-unknown-phone-enrol": "is now a member",
}


@pytest.mark.parametrize("scenario", SHIPPED, ids=[s.id for s in SHIPPED])
async def test_every_shipped_scenario_runs_to_its_score(training, sandbox, scenario) -> None:
    app = training([scenario])
    async with app.run_test(size=SIZE) as pilot:
        await start_scenario(pilot)
        for step in scenario.steps:
            await do_step(pilot, app, step)
        receipt = app.screen
        assert isinstance(receipt, ReceiptScreen)
        assert receipt.lines[0].strip(" *") == TRAINING_MARK and receipt.lines[-1].strip(" *") == TRAINING_MARK
        if scenario.id in TOLD:
            assert any(TOLD[scenario.id] in message for message in notifications(app))
        if any(step.event == "service_offline" for step in scenario.steps):
            assert receipt.done.points_pending and receipt.done.loyalty is None
        else:
            assert receipt.done.loyalty is not None  # the sandbox credited the points
        if any(step.goal == "apply_reward" for step in scenario.steps):
            assert receipt.done.discounts
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.results)
        result = app.results[-1]
        assert result.scenario_id == scenario.id and result.trainee == TRAINEE
        assert result.mistakes == () and result.hints == 0
        assert result.score == 100 and all(step.done for step in result.steps)
    saved = list(sandbox.results_dir.glob("*.json"))
    assert len(saved) == 1 and scenario.id in saved[0].name
