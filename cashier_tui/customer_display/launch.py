"""``cashier-tui customer-display``: the second terminal, for a monitor facing the customer.

    cashier-tui customer-display --till http://127.0.0.1:8765 [--theme NAME]

``--till`` is where the register serves its customer display (``[customer_display] listen``).
It needs no loyalty key and no settings file: it shows only what the till publishes.
"""

from __future__ import annotations

import argparse

from themes import DEFAULT_THEME

DEFAULT_TILL = "http://127.0.0.1:8765"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="cashier-tui customer-display",
                                     description="The customer display: what the till's customer sees, on a second monitor.")
    parser.add_argument("--till", default=DEFAULT_TILL,
                        help=f"the till's customer display address, its [customer_display] listen (default {DEFAULT_TILL})")
    parser.add_argument("--theme", default=DEFAULT_THEME, help="the theme's name")
    args = parser.parse_args(argv)
    if not args.till.startswith(("http://", "https://")):
        parser.error(f"--till must be an http:// address, e.g. {DEFAULT_TILL}")
    from cashier_tui.customer_display.app import make_app  # Textual loads only once the flags are good.

    app = make_app(args.till, theme=args.theme)
    app.run()
    return app.return_code or 0
