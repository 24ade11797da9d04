"""Register start → status "online", on the embedded demo store, as `cashier-tui` starts it.

    ./dev bench            (or: .venv/bin/python benchmarks/bench_start_online.py [--rounds N])

Each round does what the CLI does with no loyalty URL: starts the demo store's service (first
round: a fresh data folder; later rounds reuse it, as a till does every morning), then the register
headless (Textual's test driver). Three clocks, all from the moment the service is asked to start:
the service answering its health check, the register's first screen, and the status line
reading "Loyalty: online". Prints one line per figure and a JSON summary.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)  # the service child process imports loyalty_service from this checkout

from textual.widgets import Label  # noqa: E402

from cashier_tui.app import make_app  # noqa: E402
from cashier_tui.screens.register import RegisterScreen  # noqa: E402
from pos_core.embedded_service import start_demo_store  # noqa: E402
from pos_core.settings import Settings  # noqa: E402


async def one_start(data_dir: Path) -> dict[str, float]:
    began = time.perf_counter()
    service = start_demo_store(data_dir)  # returns once the service answers
    service_up = time.perf_counter() - began
    try:
        settings = replace(Settings(data_dir=data_dir), api_url=service.url, api_key=service.api_key)
        app = make_app(settings)
        first_screen = online = None
        async with app.run_test(size=(100, 30)) as pilot:
            while online is None:
                now = time.perf_counter() - began
                if first_screen is None and isinstance(app.screen, RegisterScreen) and app.screen.is_mounted:
                    first_screen = now
                if isinstance(app.screen, RegisterScreen):
                    shown = str(app.screen.query_one("#status-service", Label).render())
                    if "online" in shown:
                        online = now
                if now > 60:
                    raise SystemExit("the register did not read online within 60 s")
                await pilot.pause(0.005)
        return {"service_up": service_up, "first_screen": first_screen or online, "online": online}
    finally:
        service.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        rounds = [asyncio.run(one_start(Path(folder))) for _ in range(args.rounds)]
    summary = {
        name: {"first": round(rounds[0][name], 3), "median_warm": round(statistics.median(r[name] for r in rounds[1:] or rounds), 3)}
        for name in ("service_up", "first_screen", "online")
    }
    print(f"cores: {os.cpu_count()}, rounds: {args.rounds} (the first on a fresh data folder)")
    for name, figures in summary.items():
        print(f"start → {name.replace('_', ' ')}: first {figures['first']:.2f} s, warm median {figures['median_warm']:.2f} s")
    print(json.dumps({"bench": "start_online", "cores": os.cpu_count(), **summary}))


if __name__ == "__main__":
    main()
