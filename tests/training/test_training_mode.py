"""Training mode end to end: nothing reaches the real service or the real till's outbox; the
mistakes a trainee makes are caught; the register switches into training behind the trainer's PIN;
the help screen opens in both modes."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

import cashier_tui.__main__ as cli
from cashier_tui.app import make_app
from cashier_tui.help_entries import HELP
from cashier_tui.screens.help import HelpScreen
from cashier_tui.screens.payment import PaymentScreen
from cashier_tui.screens.receipt import ReceiptScreen
from cashier_tui.training.app import TrainingApp, make_training_app
from cashier_tui.training.trainer_pin import TrainerPinScreen
from devices.payload import PAYMENT_CARD
from pos_core.embedded_service import RunningService
from pos_core.settings import Settings
from pos_core.training.sandbox import Sandbox
from pos_core.training.scenario import shipped_scenarios
from tests.app.conftest import wait_for
from tests.app.test_register_flow import notifications, ready, scan, type_text
from tests.training.conftest import SIZE, TRAINEE, do_step, finish, play_well, start_scenario

SCENARIOS = {s.id: s for s in shipped_scenarios()}


def files_of(folder: Path) -> dict[str, str]:
    """Every file the real till wrote, by path, with its hash; the training folder left out."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and "training" not in path.relative_to(folder).parts
    }


def database_dump(path: Path) -> list[str]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return list(db.iterdump())


def sales_in(db: Path) -> list[str]:
    return [line for line in database_dump(db) if line.startswith('INSERT INTO "sales"')]


async def test_training_never_reaches_the_real_service_or_outbox(live_service: RunningService, tmp_path: Path) -> None:
    real = Settings(api_url=live_service.url, api_key=live_service.api_key, data_dir=tmp_path / "till")
    real_db = tmp_path / "service" / "loyalty.db"  # the live_service fixture's database
    # The real till has sold before: its outbox, cache and keys exist.
    register = make_app(real)
    async with register.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await scan(pilot, "1005")
        await pilot.press("f10")
        await wait_for(pilot, lambda: isinstance(register.screen, PaymentScreen))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(register.screen, ReceiptScreen))
    real_files = files_of(real.data_dir)
    assert any(name.endswith("outbox.db") for name in real_files)
    real_rows = database_dump(real_db)

    with Sandbox.start(real.data_dir) as sandbox:
        app = make_training_app(
            # The offline one first: each scenario starts the sandbox afresh, so the last one's sale
            # (online, confirmed before its receipt) is the one found in the sandbox below.
            real, sandbox, [SCENARIOS["10-service-offline"], SCENARIOS["01-app-qr-reward"]], trainee=TRAINEE
        )
        assert app.settings.data_dir == real.data_dir / "training"
        assert app.settings.api_url == sandbox.url != live_service.url
        assert str(app.checkout.client.base_url).rstrip("/") == sandbox.url
        async with app.run_test(size=SIZE) as pilot:
            await start_scenario(pilot)
            await play_well(pilot, app)  # a sale kept in the training outbox while "offline"
            await pilot.press("enter")  # next scenario: the sandbox starts afresh
            await start_scenario(pilot)
            await play_well(pilot, app)  # points earned and a reward spent, on the sandbox
            await wait_for(pilot, lambda: sales_in(sandbox.db_path))  # delivered there, not elsewhere
            await pilot.press("escape")
        assert [r.score for r in app.results] == [100, 100]
        assert sales_in(sandbox.db_path)  # the training sales went somewhere: the sandbox

    assert files_of(real.data_dir) == real_files
    assert database_dump(real_db) == real_rows
    assert (real.data_dir / "training" / "till").is_dir()  # the training till's own outbox and cache


async def test_the_mistakes_a_trainee_makes_are_caught(training) -> None:
    scenario = SCENARIOS["07-payment-card-by-mistake"]
    app = training([scenario])
    async with app.run_test(size=SIZE) as pilot:
        await start_scenario(pilot)
        await do_step(pilot, app, scenario.steps[0])
        await pilot.press("f11")  # George hands over his bank card: refused
        await wait_for(pilot, lambda: sum("payment terminal" in m for m in notifications(app)) == 1)
        await pilot.press("ctrl+r")  # and the trainee tries it again
        await wait_for(pilot, lambda: sum("payment terminal" in m for m in notifications(app)) == 2)
        assert app.banner.mistakes == 1
        await pilot.press("ctrl+g")
        assert app.banner.hint.startswith("The till refused a payment card")
        await type_text(pilot, scenario.customer.card)  # typed, though it could be scanned
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.run_state.step.goal == "pay")
        await do_step(pilot, app, scenario.steps[2])
        result = (await finish(pilot, app)).result
    assert list(result.mistakes) == [
        "tried the payment card again after the till refused it",
        "typed the number when the customer's card or app could be scanned (F11)",
    ]
    assert result.hints == 1 and result.score == 100 - 2 * 15 - 5
    assert [len(step.mistakes) for step in result.steps] == [0, 2, 0]


async def test_the_register_switches_to_training_behind_the_trainers_pin(live_service: RunningService, tmp_path: Path) -> None:
    app = make_app(Settings(api_url=live_service.url, api_key=live_service.api_key, data_dir=tmp_path / "till"))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("f1")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        await type_text(pilot, "payment terminal")
        await pilot.pause()
        shown = [str(entry.query_one(".help-message").render()) for entry in app.screen.query(".help-entry") if entry.display]
        assert 1 <= len(shown) < len(HELP)
        assert any(PAYMENT_CARD in message for message in shown)
        await pilot.press("escape")
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: isinstance(app.screen, TrainerPinScreen))
        await type_text(pilot, "0000")
        await pilot.press("enter")
        await pilot.pause()
        assert "not right" in str(app.screen.query_one("#trainer-pin-error").render())
        await type_text(pilot, app.settings.trainer_pin)
        await pilot.press("enter")
        await wait_for(pilot, lambda: not app.is_running)
    assert app.switch_to_training


async def test_help_opens_in_training_and_ctrl_t_is_off(training) -> None:
    app = training([SCENARIOS["02-card-scan"]])
    async with app.run_test(size=SIZE) as pilot:
        await start_scenario(pilot)
        assert app.register_screen.check_action("training", ()) is False
        await pilot.press("f1")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is app.register_screen)


def test_the_cli_goes_to_training_and_back_to_the_register(monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[str] = []

    class Register:
        def __init__(self, switch: bool) -> None:
            self.switch_to_training = switch
            self.return_code = 0

        def run(self) -> None:
            ran.append("register")

    apps = iter([Register(True), Register(False)])
    monkeypatch.setattr("cashier_tui.app.make_app", lambda settings: next(apps))
    monkeypatch.setattr("cashier_tui.training.launch.start_training", lambda settings: ran.append("training"))
    cli.start(Settings(api_url="http://127.0.0.1:1", api_key="k"))
    assert ran == ["register", "training", "register"]


def test_cashier_tui_training_runs_on_a_sandbox_it_stops(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    seen: list[TrainingApp] = []

    def run(app: TrainingApp) -> None:
        seen.append(app)
        assert app.sandbox.service.process.poll() is None  # running while the app runs

    monkeypatch.setattr(TrainingApp, "run", run)
    assert cli.main(["--training", "--data-dir", str(tmp_path), "--trainee", "Sam"]) == 0
    app = seen[0]
    assert app.trainee == "Sam" and app.settings.api_url == app.sandbox.url
    assert app.settings.data_dir == tmp_path / "training"
    assert app.sandbox.service.process.poll() is not None  # stopped afterwards
    bad = tmp_path / "mine"
    bad.mkdir()
    (bad / "x.toml").write_text('title = "x"\n[customer]\nname = "N"\n')
    assert cli.main(["--training", "--data-dir", str(tmp_path), "--scenarios", str(bad)]) == 2


def test_a_lesson_gives_the_sandbox_longer_to_answer_a_lookup_than_the_till_gives_its_service(training) -> None:
    """The sandbox is on this machine and answers, or the lesson cuts it off at once: a busy till
    must not tell a trainee "the loyalty service is not answering" in a lesson about app codes."""
    till = Settings()
    app = training([SCENARIOS["08-expired-app-code"]], deadlines=till.deadlines)
    assert till.deadlines.identify < 1.0
    assert app.settings.deadlines.identify >= 5.0
    assert app.checkout.client.deadlines.identify >= 5.0
    assert app.settings.deadlines.sale == till.deadlines.sale  # only the lookup is given longer
