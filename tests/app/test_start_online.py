"""The register's start on the embedded demo store, as `cashier-tui` runs it: the screens load while
the service starts, and the top line reads "online" as soon as the service answers, without
waiting for a health check's interval."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.widgets import Label

from cashier_tui.__main__ import load_screens
from cashier_tui.app import make_app
from cashier_tui.screens.register import RegisterScreen
from pos_core import embedded_service, launch
from pos_core.settings import Settings
from tests.app.conftest import wait_for


def test_the_register_reads_online_at_once_on_the_demo_store(tmp_path: Path, monkeypatch) -> None:
    steps: list[str] = []
    spawn, ready = embedded_service.spawn, embedded_service.StartingService.ready

    def spawned(*args, **kwargs):
        steps.append("service started")
        return spawn(*args, **kwargs)

    def answered(self):
        steps.append("waiting for the service")
        return ready(self)

    monkeypatch.setattr(embedded_service, "spawn", spawned)
    monkeypatch.setattr(embedded_service.StartingService, "ready", answered)
    config = tmp_path / "cashier.toml"
    config.write_text("health_interval = 3600\n")  # no second check in this test's lifetime
    shown: list[str] = []

    async def drive(settings: Settings) -> None:
        app = make_app(settings)
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: isinstance(app.screen, RegisterScreen) and app.screen.is_mounted)
            status = app.screen.query_one("#status-service", Label)
            await wait_for(pilot, lambda: "online" in str(status.render()), timeout=10)
            shown.append(str(status.render()))

    def start(settings: Settings) -> int:
        assert settings.api_url.startswith("http://127.0.0.1:") and settings.health_interval == 3600
        asyncio.run(drive(settings))
        return 0

    def prepare() -> None:
        steps.append("screens loaded")
        load_screens()

    args = launch.argument_parser("cashier-tui", "").parse_args(["--config", str(config),
                                                                "--data-dir", str(tmp_path / "data")])
    assert launch.run("cashier-tui", args, start, prepare=prepare) == 0
    assert steps == ["service started", "screens loaded", "waiting for the service"]
    assert shown == ["● Loyalty: online"]
    assert (tmp_path / "data" / "demo-store" / "loyalty.db").exists()
