"""``selfcheckout``: the kiosk. With no loyalty URL configured it runs the demo store itself."""

from __future__ import annotations

import sys

from pos_core.launch import argument_parser, run
from pos_core.settings import Settings


def load_screens() -> None:
    """Import Textual and the kiosk's screens (about a second) while the demo store starts."""
    import selfcheckout.app  # noqa: F401


def start(settings: Settings) -> int:
    from selfcheckout.app import make_app  # Textual loads only once the settings are good.

    app = make_app(settings, theme=settings.theme if settings.theme.startswith("kiosk") else "kiosk")
    app.run()
    return app.return_code or 0


def main(argv: list[str] | None = None) -> int:
    parser = argument_parser(
        "selfcheckout", "The self-checkout kiosk. Without --api-url it starts the reference service with the demo store."
    )
    return run("selfcheckout", parser.parse_args(argv), start, prepare=load_screens, terminal_id="kiosk-1")


if __name__ == "__main__":
    sys.exit(main())
