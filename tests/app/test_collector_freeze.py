"""What the register made to start is kept out of the garbage collector's full passes while it runs
(they held the loop mid-lookup), and given back when it stops, so a process that runs it again
(training, the tests) can collect the old one."""

from __future__ import annotations

import gc

from tests.app.test_register_flow import ready


async def test_the_start_is_frozen_while_the_register_runs_and_given_back_at_stop(cashier) -> None:
    gc.unfreeze()
    app = cashier()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        assert gc.get_freeze_count() > 10_000  # the modules, screens and catalog
    assert gc.get_freeze_count() == 0
