"""``cashier-tui``: the register. With no loyalty URL configured it runs the demo store itself."""

from __future__ import annotations

import sys

from pos_core.launch import argument_parser, run
from pos_core.settings import Settings


def start(settings: Settings) -> None:
    from cashier_tui.app import make_app  # Textual loads only once the settings are good.

    make_app(settings).run()


def main(argv: list[str] | None = None) -> int:
    parser = argument_parser(
        "cashier-tui", "The register. Without --api-url it starts the reference loyalty service with the demo store."
    )
    return run("cashier-tui", parser.parse_args(argv), start)


if __name__ == "__main__":
    sys.exit(main())
