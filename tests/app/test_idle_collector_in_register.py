"""In the running register the collector's full passes wait for the till to be idle: what it made
to start is frozen out of them, automatic full passes are rare, a pass runs once nobody has pressed
a key for a while, and all of it is given back when the register stops, so a process that runs it
again (training, the tests) can collect the old one."""

from __future__ import annotations

import gc

from tests.app.test_register_flow import ready
from till_tui.idle_collector import RARE_FULL_PASSES


async def test_full_passes_run_while_the_register_is_idle_and_all_is_given_back_at_stop(cashier) -> None:
    gc.unfreeze()
    before = gc.get_threshold()
    app = cashier()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        assert gc.get_freeze_count() > 10_000  # the modules, screens and catalog
        assert gc.get_threshold()[2] == RARE_FULL_PASSES
        collector = app.collector
        collector.idle_after, collector.full_every = 0.3, 0.0
        passes = collector.full_passes
        await pilot.press("1")  # a key: the till is in use (tests/unit/test_idle_collector.py: no pass then)
        for _ in range(3000):  # a bound of some 30 s on a loaded machine, not a wait
            await pilot.pause(0.01)
            if collector.full_passes > passes:
                break
        assert collector.full_passes > passes, "no full pass while the register was idle"
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == before
