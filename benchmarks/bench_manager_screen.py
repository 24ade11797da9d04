"""The register's manager screen on a big store: how long from the manager's PIN to the figures.

    .venv/bin/python benchmarks/bench_manager_screen.py [--sales N] [--days D] [--stores S] [--repeats R]

Fills a database as benchmarks/bench_reports.py does (default 20 000 members' sales and as many
without a member over 30 days and 10 stores; the issue's figure is ``--sales 100000``), starts the
reference service on it, and prints, as medians of R runs (default 5):

- ``fetch``: the four reports the screen reads (pos_core.store_figures: sales by hour today, then
  the week's enrolments and today's and the week's rewards), through the till's loyalty client
  with a till key of one store and the demo manager's id and PIN (each report checks the PIN);
- ``screen``: at the register (the real app at 80×24, Textual's headless driver), from Enter on
  the PIN to the manager screen drawn with its figures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)

from benchmarks.bench_reports import fill  # noqa: E402
from cashier_tui.app import make_app  # noqa: E402
from cashier_tui.screens.manager_pin import ManagerPinScreen  # noqa: E402
from cashier_tui.screens.manager_reports import ManagerReportsScreen  # noqa: E402
from loyalty_service.database import open_database  # noqa: E402
from pos_core.checkout import Checkout  # noqa: E402
from pos_core.embedded_service import start_service  # noqa: E402
from pos_core.loyalty_client import LoyaltyClient  # noqa: E402
from pos_core.settings import Settings  # noqa: E402
from pos_core.store_figures import ReportDays, fetch_store_figures  # noqa: E402
from tests.till_keys import till_key  # noqa: E402

STORE, TERMINAL = "store-1", "till-1"
MANAGER_ID, MANAGER_PIN = "mgr_demo", "135790"  # the demo service's manager
CONFIGURED_KEY = "bench-key-0123456789abcdefgh"


async def fetch_times(url: str, key: str, repeats: int) -> list[float]:
    times = []
    async with LoyaltyClient(url, key) as client:
        program = await client.program()
        for _ in range(repeats):
            began = time.perf_counter()
            figures = await fetch_store_figures(client, ReportDays.at(datetime.now(UTC), program.timezone),
                                                MANAGER_ID, MANAGER_PIN)
            times.append(time.perf_counter() - began)
    print(f"today: {figures.by_hour.total.sales:,} sales ({figures.by_hour.total.member_sales:,} members'),"
          f" {len(figures.enrolments.rows)} cashiers enrolling this week, {figures.rewards_week.redeemed:,} rewards this week")
    return times


def drawn(screen: object) -> bool:
    """The manager screen is up with its figures in words (its tabs mount a frame after it)."""
    if not isinstance(screen, ManagerReportsScreen) or screen.figures is None:
        return False
    text = screen.query("#participation-text")
    return bool(text) and bool(str(text.first().render()))


async def screen_times(url: str, key: str, folder: Path, repeats: int) -> list[float]:
    settings = Settings(api_url=url, api_key=key, data_dir=folder / "till", store_id=STORE, terminal_id=TERMINAL)
    times = []
    for _ in range(repeats):
        app = make_app(settings, checkout=Checkout(LoyaltyClient(url, key), replace(settings)))
        async with app.run_test(size=(80, 24)) as pilot:
            while not app.store_loaded:
                await pilot.pause(0.01)
            await pilot.press("ctrl+b")
            while not isinstance(app.screen, ManagerPinScreen):
                await pilot.pause(0.005)
            await pilot.press(*MANAGER_ID, "enter", *MANAGER_PIN)
            began = time.perf_counter()
            await pilot.press("enter")
            while not drawn(app.screen):
                await pilot.pause(0.005)
            times.append(time.perf_counter() - began)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=int, default=20_000, help="members' sales (and as many anonymous)")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--stores", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db = folder / "loyalty.db"
        database = open_database(db)
        database.create_schema()
        began = time.perf_counter()
        try:
            fill(database, args.sales, args.days, args.stores, datetime.now(UTC).replace(microsecond=0))
        finally:
            database.close()
        print(f"filled {args.sales:,} members' sales and as many without a member over {args.days} days and"
              f" {args.stores} stores in {time.perf_counter() - began:.1f} s")
        service = start_service(db_path=db, api_key=CONFIGURED_KEY, log_path=folder / "service.log")
        try:
            key = till_key(db, STORE, TERMINAL)
            fetched = asyncio.run(fetch_times(service.url, key, args.repeats))
            drawn = asyncio.run(screen_times(service.url, key, folder, args.repeats))
        finally:
            service.stop()
    for name, times in (("fetch (4 reports)", fetched), ("screen (PIN to figures)", drawn)):
        print(f"{name:<26} median {statistics.median(times) * 1000:8.1f} ms   max {max(times) * 1000:8.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
