"""Register start → status "online", on the embedded demo store, as `cashier-tui` starts it.

    ./dev bench            (or: .venv/bin/python benchmarks/bench_start_online.py [--rounds N] [--command CMD])

In-process rounds do what the CLI does with no loyalty URL: start the demo store's service (first
round: a fresh data folder; later rounds reuse it, as a till does every morning), then the register
headless (Textual's test driver). Three clocks, all from the moment the service is asked to start:
the service answering its health check, the register's first screen, and the status line
reading "Loyalty: online". Textual and the screens are imported before these clocks start.

The real command (``--command``, default ``.venv/bin/cashier-tui``; ``./dev cashier`` also works)
is then timed in a terminal, as a person sees it: started in a detached tmux session (100×30, its
own data folder), its screen read with ``tmux capture-pane`` every 20 ms until the top line says
"F1 help" (the first screen) and then "Loyalty: online", from the moment tmux was asked to start
it (Python's start, every import, the service's start, the demo seed on the first round). Skipped
when tmux is not installed. Prints one line per figure and a JSON summary.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import shutil
import statistics
import subprocess
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


def tmux(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=False)


def one_command_start(command: str, data_dir: Path, timeout: float = 60.0) -> dict[str, float]:
    """The real command in a detached tmux session: seconds to its first screen and to "online"."""
    session = f"bench-start-{os.getpid()}"
    began = time.perf_counter()
    tmux("new-session", "-d", "-s", session, "-x", "100", "-y", "30",
         f"{command} --data-dir {shlex.quote(str(data_dir))}")
    first_screen = online = None
    try:
        while online is None:
            now = time.perf_counter() - began
            screen = tmux("capture-pane", "-p", "-t", session).stdout
            if first_screen is None and "F1 help" in screen:
                first_screen = now
            if "Loyalty: online" in screen:
                online = now
            elif now > timeout:
                raise SystemExit(f"{command} did not read online within {timeout:.0f} s; its screen:\n{screen}")
            else:
                time.sleep(0.02)
    finally:
        tmux("send-keys", "-t", session, "C-q")
        deadline = time.monotonic() + 10
        while tmux("has-session", "-t", session).returncode == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        tmux("kill-session", "-t", session)
    return {"first_screen": first_screen or online, "online": online}


def summarise(rounds: list[dict[str, float]], names: tuple[str, ...]) -> dict[str, dict[str, float]]:
    return {
        name: {"first": round(rounds[0][name], 3), "median_warm": round(statistics.median(r[name] for r in rounds[1:] or rounds), 3)}
        for name in names
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--command", default=".venv/bin/cashier-tui",
                        help="the real command to time in tmux (default .venv/bin/cashier-tui); '' to skip")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        rounds = [asyncio.run(one_start(Path(folder))) for _ in range(args.rounds)]
    summary = summarise(rounds, ("service_up", "first_screen", "online"))
    command_summary: dict[str, dict[str, float]] = {}
    if args.command and shutil.which("tmux"):
        with tempfile.TemporaryDirectory() as folder:
            command_rounds = [one_command_start(args.command, Path(folder)) for _ in range(args.rounds)]
        command_summary = summarise(command_rounds, ("first_screen", "online"))
    print(f"cores: {os.cpu_count()}, rounds: {args.rounds} (the first on a fresh data folder)")
    for name, figures in summary.items():
        print(f"start → {name.replace('_', ' ')}: first {figures['first']:.2f} s, warm median {figures['median_warm']:.2f} s")
    for name, figures in command_summary.items():
        print(f"{args.command} in tmux → {name.replace('_', ' ')}: first {figures['first']:.2f} s,"
              f" warm median {figures['median_warm']:.2f} s")
    print(json.dumps({"bench": "start_online", "cores": os.cpu_count(), **summary,
                      "command": {"run": args.command, **command_summary} if command_summary else None}))


if __name__ == "__main__":
    main()
