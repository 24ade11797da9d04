"""In training the manager screen (Ctrl+B) is not opened: the trainee is told it is not available,
and no manager's PIN is even asked for, so nothing from the real store shows on a practice till."""

from __future__ import annotations

from cashier_tui.screens.register import NOT_IN_TRAINING
from pos_core.training.scenario import shipped_scenarios
from tests.app.conftest import wait_for
from tests.conftest import told
from tests.training.conftest import SIZE, start_scenario


async def test_the_manager_screen_is_not_available_in_training(training) -> None:
    app = training([next(iter(shipped_scenarios()))])
    async with app.run_test(size=SIZE) as pilot:
        await start_scenario(pilot)
        await pilot.press("ctrl+b")
        await wait_for(pilot, lambda: NOT_IN_TRAINING in told(app))
        assert app.screen is app.register_screen
