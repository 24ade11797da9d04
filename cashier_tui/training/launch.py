"""``cashier-tui --training``: start the sandbox store, run the register in training mode, stop it.

Training never starts or calls the configured loyalty service: the sandbox is the reference
service on loopback with the demo store, in ``<data dir>/training/``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pos_core.embedded_service import EmbeddedServiceError
from pos_core.settings import Settings
from pos_core.training.sandbox import Sandbox
from pos_core.training.scenario import ScenarioError, load_folder, shipped_scenarios


def trainer_scenarios(settings: Settings, folder: Path | None = None) -> list:
    """The shipped scenarios, then the trainer's own: ``folder``, else ``<data dir>/training/scenarios``."""
    scenarios = shipped_scenarios()
    own = folder or settings.data_dir / "training" / "scenarios"
    if folder is not None or own.is_dir():
        known = {scenario.id for scenario in scenarios}
        for scenario in load_folder(own):
            if scenario.id in known:
                raise ScenarioError(f"{scenario.source}:1: the id {scenario.id!r} is a shipped scenario's; rename the file or set id")
            scenarios.append(scenario)
    return scenarios


def start_training(settings: Settings, *, folder: Path | None = None, trainee: str | None = None) -> int:
    try:
        scenarios = trainer_scenarios(settings, folder)
    except ScenarioError as error:
        print(f"cashier-tui: {error}", file=sys.stderr)
        return 2
    print("Starting the training store…", file=sys.stderr)
    try:
        sandbox = Sandbox.start(settings.data_dir)
    except EmbeddedServiceError as error:
        print(f"cashier-tui: the training store did not start: {error}", file=sys.stderr)
        return 1
    try:
        from cashier_tui.training.app import make_training_app  # Textual loads only once all is ready

        app = make_training_app(settings, sandbox, scenarios, trainee=trainee)
        app.run()
        if app.return_code:
            return app.return_code
        for result in app.results:
            print(f"{result.trainee} · {result.scenario_title}: {result.score}/100", file=sys.stderr)
        if app.results:
            print(f"Results are in {sandbox.results_dir}", file=sys.stderr)
    finally:
        sandbox.stop()
    return 0


def run_from_args(args) -> int:
    """``cashier-tui --training``: the settings as the register reads them, then training."""
    from pos_core.settings import SettingsError, load_settings

    try:
        settings = load_settings(
            args.config,
            overrides={
                "store_id": args.store_id,
                "terminal_id": args.terminal_id,
                "data_dir": str(args.data_dir) if args.data_dir else None,
            },
        )
    except SettingsError as error:
        print(f"cashier-tui: {error}", file=sys.stderr)
        return 2
    return start_training(settings, folder=args.scenarios, trainee=args.trainee)
