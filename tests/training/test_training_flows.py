"""Every shipped scenario, played through the real register on the sandbox to its score."""

from __future__ import annotations

import pytest

from cashier_tui.screens.receipt import ReceiptScreen
from cashier_tui.screens.register import RegisterScreen
from cashier_tui.screens.return_sale import ReturnScreen
from pos_core.receipt import TRAINING_MARK
from pos_core.training.scenario import shipped_scenarios
from tests.app.conftest import wait_for
from tests.app.test_register_flow import notifications, type_text
from tests.training.conftest import SIZE, TRAINEE, do_step, return_lines, start_scenario

SHIPPED = shipped_scenarios()
# What the trainee must have been told on the way, by scenario.
TOLD = {
    "07-payment-card-by-mistake": "please use the payment terminal",
    "08-expired-app-code": "This app code has expired",
    "09-replayed-app-code": "This app code was already used",
    "06-unknown-phone-enrol": "is now a member",
    "11-return-an-item": "Refund £3.75 ",  # the cheddar's price, refunded (to the card or in cash)
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
            await wait_for(pilot, lambda: any(TOLD[scenario.id] in message for message in notifications(app)))
        if any(step.event == "service_offline" for step in scenario.steps):
            assert receipt.done.points_pending and receipt.done.loyalty is None
        else:
            assert receipt.done.loyalty is not None  # the sandbox credited the points
        if any(step.goal == "apply_reward" for step in scenario.steps):
            assert receipt.done.discounts
        if scenario.earlier_sale:
            # The earlier sale was recorded on the sandbox; exactly what came back was returned.
            brought = {sku: units for step in scenario.steps for sku, units in step.returns}
            returned = sandbox.returned(app.customer.earlier_sale_id)
            assert returned == {sku: brought.get(sku, 0) for sku in scenario.earlier_sale}
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.results)
        result = app.results[-1]
        assert result.scenario_id == scenario.id and result.trainee == TRAINEE
        assert result.mistakes == () and result.hints == 0
        assert result.score == 100 and all(step.done for step in result.steps)
    saved = list(sandbox.results_dir.glob("*.json"))
    assert len(saved) == 1 and scenario.id in saved[0].name


RETURN = next(s for s in SHIPPED if s.id == "11-return-an-item")


async def test_selling_the_returned_item_and_returning_the_wrong_line_are_mistakes(training, sandbox) -> None:
    app = training([RETURN])
    async with app.run_test(size=SIZE) as pilot:
        await start_scenario(pilot)
        register = app.register_screen
        await type_text(pilot, "1011")  # rings the cheddar up, as if selling it
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.run_state.mistakes)
        await pilot.press("f4")  # takes it off again
        await wait_for(pilot, lambda: not register.sale.basket.lines)
        await pilot.press("f11")  # the receipt
        await wait_for(pilot, lambda: isinstance(app.screen, ReturnScreen) and app.screen.lines, timeout=30)
        await return_lines(pilot, app.screen, {"1005": 1})  # the loaf he keeps
        await pilot.press("escape")
        await wait_for(pilot, lambda: len(app.run_state.mistakes) == 2)
        assert app.run_state.step.goal == "return"
        assert app.banner.mistakes == 2
        # Again at F12, typing the receipt's number: the cheddar this time.
        await pilot.press("f12")
        await wait_for(pilot, lambda: isinstance(app.screen, ReturnScreen))
        await type_text(pilot, f"R-{app.customer.earlier_sale_id}")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.query("#return-qty-1"), timeout=30)
        await return_lines(pilot, app.screen, {"1011": 1})
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, RegisterScreen) and app.run_state.step.goal == "ring_up")
        for step in RETURN.steps[1:]:
            await do_step(pilot, app, step)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.results)
    result = app.results[-1]
    assert result.mistakes == (
        "rang up the item the customer brought back instead of returning it (F12)",
        "returned item 1005, which the customer kept: return only what they bring back",
    )
    assert result.score == 70 and all(step.done for step in result.steps)
