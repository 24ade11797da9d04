"""What both apps do before Textual starts: settings from flags, and the demo store if no URL.

The register and the kiosk share these flags and this start-up; each app adds its own factory.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from pos_core.embedded_service import EmbeddedServiceError, RunningService, launch_demo_store
from pos_core.settings import Settings, SettingsError, load_settings


def argument_parser(prog: str, description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--api-url", help="the loyalty platform, e.g. https://loyalty.example.com (env CASHIER_API_URL)")
    parser.add_argument("--api-key", help="this terminal's API key (env CASHIER_API_KEY)")
    parser.add_argument("--store-id", help="this store's id (env CASHIER_STORE_ID)")
    parser.add_argument("--terminal-id", help="this terminal's id (env CASHIER_TERMINAL_ID)")
    parser.add_argument("--config", type=Path, help="settings file (default: the user's config dir, cashier.toml)")
    parser.add_argument("--data-dir", type=Path, help="where the terminal keeps its data (env CASHIER_DATA_DIR)")
    parser.add_argument("--theme", help="the theme's name")
    return parser


def run(
    prog: str,
    args: argparse.Namespace,
    start: Callable[[Settings], int | None],
    *,
    prepare: Callable[[], object] | None = None,
    **defaults: object,
) -> int:
    """Build the settings, start the demo store when no URL is set, run the app, stop the store.

    ``prepare()`` (the app's imports: Textual and the screens, about a second) and httpx's lazy
    loads (``load_http_backends``) run while the demo store's service starts in its own process,
    rather than after it. Returns what ``start``
    returned (the app's exit code: non-zero after a crash)."""
    try:
        settings = load_settings(
            args.config,
            defaults=dict(defaults),
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
        print(f"{prog}: {error}", file=sys.stderr)
        return 2
    service: RunningService | None = None
    if settings.embedded:
        print("Starting the demo store's loyalty service…", file=sys.stderr)
        try:
            starting = launch_demo_store(settings.data_dir)
        except OSError as error:
            print(f"{prog}: the loyalty service could not be started: {error}", file=sys.stderr)
            return 1
        try:
            if prepare is not None:
                prepare()
            # Imported here, not at the top: the service is asked to start before httpx loads.
            from pos_core.loyalty_client import load_http_backends

            load_http_backends()
            service = starting.ready()
        except EmbeddedServiceError as error:
            print(f"{prog}: {error}", file=sys.stderr)
            return 1
        except BaseException:
            starting.stop()
            raise
        settings = replace(settings, api_url=service.url, api_key=service.api_key)
    try:
        code = start(settings)
    finally:
        if service is not None:
            service.stop()
    return code or 0
