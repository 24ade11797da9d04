"""``cashier-tui``: the register. With no loyalty URL configured it runs the demo store itself."""

from __future__ import annotations

import sys

from pathlib import Path

from pos_core.launch import argument_parser, run
from pos_core.settings import Settings


def load_screens() -> None:
    """Import Textual and the register's screens (about a second) while the demo store starts."""
    import cashier_tui.app  # noqa: F401


def start(settings: Settings) -> int:
    from cashier_tui.app import make_app  # Textual loads only once the settings are good.

    while True:
        app = make_app(settings)
        app.run()
        if app.return_code:
            return app.return_code  # a crash: the report is in the data folder
        if not app.switch_to_training:
            return 0
        # The trainer's PIN was given (Ctrl+T): training on the sandbox, then back to the register.
        from cashier_tui.training.launch import start_training

        start_training(settings)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["training-report"]:
        from pos_core.training.report import main as training_report

        return training_report(argv[1:])
    if argv[:1] == ["customer-display"]:
        from cashier_tui.customer_display.launch import main as customer_display

        return customer_display(argv[1:])
    if argv[:1] == ["recover-outbox"]:
        from pos_core.outbox_recovery import main as recover_outbox

        return recover_outbox(argv[1:])
    parser = argument_parser(
        "cashier-tui", "The register. Without --api-url it starts the reference loyalty service with the demo store."
    )
    parser.epilog = ("other commands: cashier-tui customer-display --till URL (the second terminal facing the customer),"
                     " recover-outbox FILE, training-report DIR")
    parser.add_argument("--training", action="store_true",
                        help="training mode: the register on a practice store (sandbox), with scripted customers")
    parser.add_argument("--scenarios", type=Path, metavar="DIR",
                        help="training: a folder of the trainer's own scenario files (*.toml)")
    parser.add_argument("--trainee", help="training: the trainee's name (else asked at the start)")
    args = parser.parse_args(argv)
    if args.training:
        from cashier_tui.training.launch import run_from_args

        return run_from_args(args)
    return run("cashier-tui", args, start, prepare=load_screens)


if __name__ == "__main__":
    sys.exit(main())
