"""Identify → panel and sale → credited latency against the reference service on loopback.

    ./dev bench            (or: .venv/bin/python benchmarks/bench_loyalty_latency.py [--rounds N])

* identify → panel: the register running headless (Textual's test driver); the clock starts when
  Enter is pressed in the phone dialog and stops when the loyalty panel shows the customer's name
  (the app's whole path: parse, worker, HTTP, recompose, in the app's one event loop).
* identify (client): the same lookup through ``LoyaltyClient`` alone, without the screen.
* sale → credited: ``Checkout.complete`` (the register's own payment path) from the call until the
  service has committed the points and answered.

Prints one line per figure and a JSON summary.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)  # the service child process imports loyalty_service from this checkout

from textual.widgets import Label  # noqa: E402

from cashier_tui.app import make_app  # noqa: E402
from cashier_tui.screens.phone_entry import PhoneEntryScreen  # noqa: E402
from cashier_tui.screens.register import RegisterScreen  # noqa: E402
from pos_core.basket import Basket  # noqa: E402
from pos_core.checkout import Checkout  # noqa: E402
from pos_core.embedded_service import start_service  # noqa: E402
from pos_core.loyalty_client import LoyaltyClient  # noqa: E402
from pos_core.sale import Tender  # noqa: E402
from pos_core.settings import Settings  # noqa: E402

PHONES = [f"020 7946 {n:04d}" for n in range(1, 11)]


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    cut = statistics.quantiles(ordered, n=100, method="inclusive")
    return {
        "n": len(ordered),
        "p50_ms": round(cut[49] * 1000, 2),
        "p99_ms": round(cut[98] * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
    }


async def known_phones(client: LoyaltyClient) -> list[str]:
    found = []
    for phone in PHONES:
        try:
            await client.identify("phone", phone)
            found.append(phone)
        except Exception:  # noqa: BLE001 - a gap in the demo numbers is fine here
            pass
    return found


async def bench_client(settings: Settings, rounds: int) -> tuple[dict, dict]:
    client = LoyaltyClient(settings.api_url, settings.api_key, deadlines=settings.deadlines)
    checkout = Checkout(client, settings)
    await checkout.load_store()
    phones = await known_phones(client)
    identify: list[float] = []
    for i in range(rounds):
        start = time.perf_counter()
        await client.identify("phone", phones[i % len(phones)])
        identify.append(time.perf_counter() - start)
    products = [p for p in checkout.catalog if p.category not in ("tobacco", "gift_cards")]
    credited: list[float] = []
    for i in range(rounds):
        customer = await client.identify("phone", phones[i % len(phones)])
        basket = Basket()
        for product in products[i % 7 : i % 7 + 3]:
            basket = basket.add(product, 1 + i % 2)
        sale = checkout.new_sale().with_basket(basket).with_customer(customer)
        start = time.perf_counter()
        done = await checkout.complete(sale, (Tender("card", basket.subtotal),), None)
        credited.append(time.perf_counter() - start)
        assert done.loyalty is not None and done.loyalty.sale_id == sale.sale_id
    await client.aclose()
    return percentiles(identify), percentiles(credited)


async def bench_panel(settings: Settings, rounds: int) -> dict:
    app = make_app(settings)
    samples: list[float] = []
    async with app.run_test(size=(80, 24)) as pilot:
        while not app.store_loaded:
            await pilot.pause(0.01)
        screen = app.screen
        assert isinstance(screen, RegisterScreen)
        phones = await known_phones(app.checkout.client)
        for i in range(rounds):
            phone = phones[i % len(phones)]
            await pilot.press("f2")
            while not isinstance(app.screen, PhoneEntryScreen):
                await pilot.pause(0.005)
            await pilot.press(*phone.replace(" ", ""))
            # Pilot.press() itself waits ~200 ms for the app to settle, so poll beside it.
            start = time.perf_counter()
            press = asyncio.create_task(pilot.press("enter"))
            while not (screen.sale.customer and screen.query("#customer-name")):
                await asyncio.sleep(0.0005)
            samples.append(time.perf_counter() - start)
            await press
            assert str(screen.query_one("#customer-name", Label).render()) == screen.sale.customer.display_name
            await pilot.press("f7")  # take the customer off for the next round
    return percentiles(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        service = start_service(db_path=Path(tmp) / "loyalty.db", api_key="bench-key", log_path=Path(tmp) / "log")
        try:
            settings = Settings(api_url=service.url, api_key=service.api_key, data_dir=Path(tmp) / "till")
            identify, credited = asyncio.run(bench_client(settings, args.rounds))
            panel = asyncio.run(bench_panel(settings, max(20, args.rounds // 4)))
        finally:
            service.stop()
    cores = os.cpu_count()
    print(f"machine: {cores} cores, Python {sys.version.split()[0]}, service on loopback with SQLite (WAL, synchronous=FULL)")
    print(f"identify → panel  p50 {panel['p50_ms']} ms  p99 {panel['p99_ms']} ms  (n={panel['n']})")
    print(f"identify (client) p50 {identify['p50_ms']} ms  p99 {identify['p99_ms']} ms  (n={identify['n']})")
    print(f"sale → credited   p50 {credited['p50_ms']} ms  p99 {credited['p99_ms']} ms  (n={credited['n']})")
    print(json.dumps({"cores": cores, "identify_to_panel": panel, "identify_client": identify, "sale_to_credited": credited}))


if __name__ == "__main__":
    main()
