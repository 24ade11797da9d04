"""Screenshots of training mode at the register's smallest size (80×24): the banner at the start
of a scenario, a hint asked for, and the result screen with a mistake.

Update after a deliberate change with ``--snapshot-update``, then look at the new SVGs."""

from __future__ import annotations

import itertools

from textual.pilot import Pilot

from cashier_tui.training.app import make_training_app
from pos_core.settings import Settings
from pos_core.training.scenario import shipped_scenarios
from tests.app.conftest import wait_for
from tests.training.conftest import SIZE, TRAINEE, do_step, finish, start_scenario

APP_QR = next(s for s in shipped_scenarios() if s.id == "01-app-qr-reward")
PAYMENT_CARD = next(s for s in shipped_scenarios() if s.id == "07-payment-card-by-mistake")


def still_clock():
    """Every step takes 6 s, whatever the machine: the result screen reads the same."""
    ticks = itertools.count()
    return lambda: next(ticks) * 6.0


def snapshot_app(sandbox, data_dir, scenario):
    # No health check before the shot: the status line stays "connecting…" however slow the machine.
    settings = Settings(data_dir=data_dir, health_interval=3600)
    return make_training_app(settings, sandbox, [scenario], trainee=TRAINEE, clock=still_clock())


def test_training_banner(snap_compare, sandbox, data_dir) -> None:
    async def run_before(pilot: Pilot) -> None:
        app = await start_scenario(pilot)
        await do_step(pilot, app, APP_QR.steps[0])
        app.clear_notifications()
        await pilot.pause()

    assert snap_compare(snapshot_app(sandbox, data_dir, APP_QR), terminal_size=SIZE, run_before=run_before)


def test_training_hint(snap_compare, sandbox, data_dir) -> None:
    async def run_before(pilot: Pilot) -> None:
        app = await start_scenario(pilot)
        await do_step(pilot, app, PAYMENT_CARD.steps[0])
        await pilot.press("f11")  # the bank card: refused
        await wait_for(pilot, lambda: app._notifications)
        app.clear_notifications()
        await pilot.press("ctrl+g")
        await wait_for(pilot, lambda: app.banner.hint)
        await pilot.pause()

    assert snap_compare(snapshot_app(sandbox, data_dir, PAYMENT_CARD), terminal_size=SIZE, run_before=run_before)


def test_training_result(snap_compare, sandbox, data_dir) -> None:
    async def run_before(pilot: Pilot) -> None:
        app = await start_scenario(pilot)
        await do_step(pilot, app, APP_QR.steps[0])
        await do_step(pilot, app, APP_QR.steps[1])
        await do_step(pilot, app, APP_QR.steps[3])  # pays without offering the free hot drink
        await finish(pilot, app)
        app.clear_notifications()
        await pilot.pause()

    assert snap_compare(snapshot_app(sandbox, data_dir, APP_QR), terminal_size=SIZE, run_before=run_before)
