"""Screenshots of the manager screen's three views at the register's smallest size (80×24), on a
real service with figures the test made and moved to the fixed day the register's clock reads
(tests/app/conftest.py FIXED_TIME), checked against approved SVGs.

Update after a deliberate change with ``./dev test tests/app/test_manager_snapshots.py --snapshot-update``,
then look at the new SVGs before committing them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from textual.pilot import Pilot

from cashier_tui.app import CashierApp, make_app
from cashier_tui.screens.manager_reports import ManagerReportsScreen
from pos_core.embedded_service import RunningService, start_service
from pos_core.settings import RegisterSettings, Settings
from tests.app.conftest import FIXED_TIME, fixed_checkout, wait_for
from tests.app.store_activity import make_activity, move_to
from tests.app.test_live_updates import MANAGER_ID, MANAGER_PIN
from tests.app.test_manager_screen import open_manager_screen, shown, signed_on
from tests.conftest import TEST_API_KEY
from tests.till_keys import till_key


@pytest.fixture(scope="module")
def store_on_the_fixed_day(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningService, Path]]:
    """One service for the module: the store's activity, moved to FIXED_TIME's day."""
    folder = tmp_path_factory.mktemp("manager-snapshots")
    db = folder / "service" / "loyalty.db"
    with pytest.MonkeyPatch.context() as patch:  # the module's service outlives any one test's environment
        patch.setenv("LOYALTY_PIN_SECRET", "test-pin-secret-0123456789abcdef0123456789")
        service = start_service(db_path=db, api_key=TEST_API_KEY, log_path=folder / "service" / "service.log")
    try:
        with httpx.Client(base_url=service.url, headers={"Authorization": f"Bearer {TEST_API_KEY}"}, timeout=10) as api:
            made = make_activity(service, folder / "activity", api, db=db)
        move_to(db, made, FIXED_TIME.date().isoformat())
        yield service, db
    finally:
        service.stop()


def register(store: tuple[RunningService, Path], tmp_path: Path) -> CashierApp:
    service, db = store
    config = Settings(api_url=service.url, api_key="", data_dir=tmp_path / "till", register=RegisterSettings(sign_on=True))
    config = replace(config, api_key=till_key(db, config.store_id, config.terminal_id))
    return make_app(config, checkout=fixed_checkout(config, "00000000-0000-4000-8000-"))


def at_view(key: str, view: str):
    async def run_before(pilot: Pilot) -> None:
        await signed_on(pilot, "c102", "135791")
        await open_manager_screen(pilot, MANAGER_ID, MANAGER_PIN)
        screen = await wait_for(pilot, lambda: pilot.app.screen if isinstance(pilot.app.screen, ManagerReportsScreen) else None)
        await wait_for(pilot, lambda: shown(screen, "#participation-text"))
        await pilot.press(key)
        await wait_for(pilot, lambda: screen.query_one("#manager-views").active == view)
        await pilot.pause()

    return run_before


@pytest.mark.parametrize(("key", "view"), [("1", "participation"), ("2", "enrolments"), ("3", "rewards")])
def test_manager_view(snap_compare, store_on_the_fixed_day, tmp_path: Path, key: str, view: str) -> None:
    assert snap_compare(register(store_on_the_fixed_day, tmp_path), terminal_size=(80, 24), run_before=at_view(key, view))
