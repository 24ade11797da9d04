"""``selfcheckout``: the kiosk."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from selfcheckout.app import make_app

    make_app().run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
