"""``cashier-tui``: the register. With no loyalty URL configured it runs the demo store itself."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from pos_core.embedded_service import EmbeddedServiceError, RunningService, start_demo_store
from pos_core.settings import SettingsError, load_settings


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="cashier-tui",
        description="The register. Without --api-url it starts the reference loyalty service with the demo store.",
    )
    parser.add_argument("--api-url", help="the loyalty platform, e.g. https://loyalty.example.com (env CASHIER_API_URL)")
    parser.add_argument("--api-key", help="this till's API key (env CASHIER_API_KEY)")
    parser.add_argument("--store-id", help="this store's id (env CASHIER_STORE_ID)")
    parser.add_argument("--terminal-id", help="this till's id (env CASHIER_TERMINAL_ID)")
    parser.add_argument("--config", type=Path, help="settings file (default: the user's config dir, cashier.toml)")
    parser.add_argument("--data-dir", type=Path, help="where the till keeps its data (env CASHIER_DATA_DIR)")
    parser.add_argument("--theme", help="store, store-light or high-contrast")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        settings = load_settings(
            args.config,
            overrides={
                "api_url": args.api_url,
                "api_key": args.api_key,
                "store_id": args.store_id,
                "terminal_id": args.terminal_id,
                "data_dir": str(args.data_dir) if args.data_dir else None,
                "theme": args.theme,
            },
        )
    except SettingsError as error:
        print(f"cashier-tui: {error}", file=sys.stderr)
        return 2

    service: RunningService | None = None
    if settings.embedded:
        print("Starting the demo store's loyalty service…", file=sys.stderr)
        try:
            service = start_demo_store(settings.data_dir)
        except EmbeddedServiceError as error:
            print(f"cashier-tui: {error}", file=sys.stderr)
            return 1
        settings = replace(settings, api_url=service.url, api_key=service.api_key)

    from cashier_tui.app import make_app  # Textual loads only once the settings are good.

    try:
        make_app(settings).run()
    finally:
        if service is not None:
            service.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
