"""Driving the real kiosk against a real loyalty service on loopback."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from pos_core.embedded_service import RunningService
from pos_core.settings import KioskSettings, PrinterSettings, Settings
from selfcheckout.app import SelfCheckoutApp, make_app
from tests.app.conftest import api, fixed_checkout, wait_for  # noqa: F401 - the api fixture
from tests.conftest import live_service_db
from tests.till_keys import till_key


@pytest.fixture
def kiosk(live_service: RunningService, tmp_path: Path) -> Callable[..., SelfCheckoutApp]:
    def build(theme: str = "kiosk", printer: PrinterSettings = PrinterSettings(), **kiosk_settings: Any) -> SelfCheckoutApp:
        settings = Settings(
            api_url=live_service.url,
            # The kiosk carries a till key of its own store and terminal, as a chain's kiosks do.
            api_key=till_key(live_service_db(tmp_path), "demo-store", "kiosk-1"),
            data_dir=tmp_path / "kiosk",
            terminal_id="kiosk-1",
            kiosk=replace(KioskSettings(thank_you_seconds=600), **kiosk_settings),
            printer=printer,
        )
        return make_app(settings, checkout=fixed_checkout(settings, "00000000-0000-4000-9000-"), theme=theme)

    return build


async def kiosk_ready(pilot: Pilot) -> SelfCheckoutApp:
    app = pilot.app
    await wait_for(pilot, lambda: app.checkout.catalog is not None)
    await pilot.pause()
    return app
