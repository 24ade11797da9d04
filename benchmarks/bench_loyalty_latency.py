"""Identify → panel (typed phone number and card scan) and sale → credited, against the reference
service on loopback.

    ./dev bench            (or: .venv/bin/python benchmarks/bench_loyalty_latency.py [--rounds N] [--profile FILE])

* identify → panel, phone: the register running headless (Textual's test driver); the number is
  typed into the F2 dialog, the clock starts when Enter is posted and stops when the register
  screen is drawn (the compositor's update handed to the driver) with the customer's name on the
  loyalty panel: the app's whole path (parse, worker, HTTP, panel update, layout, paint) in the
  app's one event loop.
* identify → panel, card scan: a loyalty card's barcode as a keyboard-wedge scanner types it (a
  burst of keys 8 ms apart, stamped as the terminal driver stamps them, as
  tests/app/wedge_keys.py sends it); the clock starts when the burst's Enter is posted (the first
  moment the till can know it was a scan) and stops at the same drawn panel.
* identify (client): the same phone lookup through ``LoyaltyClient`` alone, without the screen.
* sale → credited: ``Checkout.complete`` (the register's own payment path) from the call until the
  service has committed the points and answered.

``--rounds`` (default 400) is the number of phone lookups and of card scans each; ``--profile
FILE`` writes a pyinstrument profile of the panel rounds (text for a ``.txt`` name, else HTML). Prints one line per figure and a
JSON summary.
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

from textual import events  # noqa: E402
from textual.widgets import Input  # noqa: E402

from cashier_tui.app import CashierApp, make_app  # noqa: E402
from cashier_tui.screens.phone_entry import PhoneEntryScreen  # noqa: E402
from cashier_tui.screens.register import RegisterScreen  # noqa: E402
from cashier_tui.widgets.loyalty_panel import LoyaltyPanel  # noqa: E402
from loyalty_service.demo_store import CUSTOMERS as DEMO_CUSTOMERS  # noqa: E402
from pos_core.basket import Basket  # noqa: E402
from pos_core.checkout import Checkout  # noqa: E402
from pos_core.embedded_service import start_service  # noqa: E402
from pos_core.loyalty_client import LoyaltyClient  # noqa: E402
from pos_core.sale import Tender  # noqa: E402
from pos_core.settings import Settings  # noqa: E402

PHONES = [customer.phone for customer in DEMO_CUSTOMERS]
CARDS = [customer.card for customer in DEMO_CUSTOMERS]
SCANNER_GAP = 0.008  # seconds between a wedge scanner's characters


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    cut = statistics.quantiles(ordered, n=100, method="inclusive")
    return {
        "n": len(ordered),
        "p50_ms": round(cut[49] * 1000, 2),
        "p99_ms": round(cut[98] * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
    }


async def bench_client(settings: Settings, rounds: int) -> tuple[dict, dict]:
    client = LoyaltyClient(settings.api_url, settings.api_key, deadlines=settings.deadlines)
    checkout = Checkout(client, settings)
    await checkout.load_store()
    identify: list[float] = []
    for i in range(rounds):
        start = time.perf_counter()
        await client.identify("phone", PHONES[i % len(PHONES)])
        identify.append(time.perf_counter() - start)
    products = [p for p in checkout.catalog if p.category not in ("tobacco", "gift_cards")]
    credited: list[float] = []
    for i in range(rounds):
        customer = await client.identify("phone", PHONES[i % len(PHONES)])
        basket = Basket()
        for product in products[i % 7 : i % 7 + 3]:
            basket = basket.add(product, 1 + i % 2)
        sale = checkout.new_sale().with_basket(basket).with_customer(customer)
        start = time.perf_counter()
        done = await checkout.complete(sale, (Tender("card", basket.subtotal),), None)
        credited.append(time.perf_counter() - start)
        assert done.loyalty is not None and done.loyalty.sale_id == sale.sale_id
    checkout.close()
    await client.aclose()
    return percentiles(identify), percentiles(credited)


class PanelClock:
    """When the register screen was last drawn with ``name`` on its loyalty panel: wraps the app's
    ``_display`` (called with every compositor update, headless too) to stamp it."""

    def __init__(self, app: CashierApp) -> None:
        self.app = app
        self.name: str | None = None
        self.drawn_at: float | None = None
        display = app._display

        def stamped(screen, renderable) -> None:
            display(screen, renderable)
            if renderable is not None and self.name is not None and self.drawn_at is None and self._shown(screen):
                self.drawn_at = time.perf_counter()

        app._display = stamped  # type: ignore[method-assign]

    def _shown(self, screen) -> bool:
        if not isinstance(screen, RegisterScreen):
            return False
        panel = screen.query_one(LoyaltyPanel)
        return panel.drawn_text("customer-name") == self.name and panel in screen._compositor.visible_widgets

    def expect(self, name: str) -> None:
        self.name, self.drawn_at = name, None

    async def wait(self, started: float, timeout: float = 10.0) -> float:
        while self.drawn_at is None:
            if time.perf_counter() - started > timeout:
                told = [n.message for n in self.app._notifications]
                raise SystemExit(f"the panel did not show {self.name!r} within {timeout:.0f} s; the till said {told}")
            await asyncio.sleep(0.0005)
        return self.drawn_at - started


async def settle(app: CashierApp, screen: RegisterScreen, pilot) -> None:
    """Take the customer off, wait until the panel says so and the till has done what follows (the
    footer's keys, the customer's cache write, the live follow winding down), ready for the next round: a cashier's next
    customer comes seconds later, not in the same frame."""
    if screen.sale is not None and screen.sale.customer is not None:
        screen.action_remove_customer()
    panel = screen.query_one(LoyaltyPanel)
    while panel.drawn_text("customer-name") is not None or app.screen is not screen:
        await asyncio.sleep(0.001)
    await pilot.pause()  # until the app is idle
    await app.checkout.cache_written()  # the customer's cache write, made just after their panel
    await asyncio.sleep(0.02)


async def phone_round(app: CashierApp, screen: RegisterScreen, clock: PanelClock, phone: str, name: str,
                      pilot) -> float:
    app.post_message(events.Key("f2", None))
    while not (isinstance(app.screen, PhoneEntryScreen) and app.screen.query("#phone-input")
               and app.screen.query_one("#phone-input", Input).has_focus):
        await asyncio.sleep(0.001)
    field = app.screen.query_one("#phone-input", Input)
    digits = phone.replace(" ", "")
    for index, digit in enumerate(digits):
        key = events.Key(digit, digit)
        key.time = time.monotonic() - (len(digits) - index) * 0.15  # a person's pace: never a scan
        app.post_message(key)
    while "".join(c for c in field.value if c.isdigit()) != digits:
        await asyncio.sleep(0.001)
    await pilot.pause()  # a person types over a second or two: the till has drawn every digit by Enter
    clock.expect(name)
    start = time.perf_counter()
    app.post_message(events.Key("enter", "\r"))
    return await clock.wait(start)


async def card_round(app: CashierApp, screen: RegisterScreen, clock: PanelClock, card: str, name: str) -> float:
    wedge = app.devices.wedge
    now = time.monotonic()
    for index, character in enumerate(card):
        key = events.Key(character, character)
        key.time = now - (len(card) - index) * SCANNER_GAP  # the burst as the driver stamped it
        app.post_message(key)
    while len(wedge.filter._held) < len(card):
        await asyncio.sleep(0.0005)
    clock.expect(name)
    start = time.perf_counter()
    enter = events.Key("enter", "\r")
    enter.time = time.monotonic()
    app.post_message(enter)
    return await clock.wait(start)


async def bench_panel(settings: Settings, rounds: int, profile: Path | None) -> tuple[dict, dict]:
    app = make_app(settings)
    phone_samples: list[float] = []
    card_samples: list[float] = []
    async with app.run_test(size=(80, 24)) as pilot:
        while not app.store_loaded:
            await pilot.pause(0.01)
        screen = app.screen
        assert isinstance(screen, RegisterScreen)
        clock = PanelClock(app)
        names = []
        for phone in PHONES:
            names.append((await app.checkout.client.identify("phone", phone)).display_name)
        profiler = None
        if profile is not None:
            from pyinstrument import Profiler

            profiler = Profiler(async_mode="disabled", interval=0.0005)
            profiler.start()
        for i in range(rounds):
            k = i % len(PHONES)
            phone_samples.append(await phone_round(app, screen, clock, PHONES[k], names[k], pilot))
            await settle(app, screen, pilot)
            card_samples.append(await card_round(app, screen, clock, CARDS[k], names[k]))
            await settle(app, screen, pilot)
        if profiler is not None:
            profiler.stop()
            profile.write_text(profiler.output_text(unicode=True, show_all=bool(os.environ.get("PROFILE_ALL"))) if profile.suffix == ".txt"
                               else profiler.output_html())
    return percentiles(phone_samples), percentiles(card_samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=400, help="phone lookups and card scans, each (default 400)")
    parser.add_argument("--client-rounds", type=int, default=200, help="client-only identifies and sales (default 200)")
    parser.add_argument("--profile", type=Path, metavar="FILE", help="write a pyinstrument profile of the panel rounds")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        service = start_service(db_path=Path(tmp) / "loyalty.db", api_key="bench-key", log_path=Path(tmp) / "log")
        try:
            settings = Settings(api_url=service.url, api_key=service.api_key, data_dir=Path(tmp) / "till")
            identify, credited = asyncio.run(bench_client(settings, args.client_rounds))
            phone, card = asyncio.run(bench_panel(settings, args.rounds, args.profile))
        finally:
            service.stop()
    cores = os.cpu_count()
    print(f"machine: {cores} cores, Python {sys.version.split()[0]}, service on loopback with SQLite (WAL, synchronous=FULL)")
    for label, figures in (("identify → panel (phone)", phone), ("card scan → panel", card),
                           ("identify (client)", identify), ("sale → credited", credited)):
        print(f"{label:25} p50 {figures['p50_ms']} ms  p99 {figures['p99_ms']} ms  max {figures['max_ms']} ms"
              f"  (n={figures['n']})")
    print(json.dumps({"cores": cores, "phone_to_panel": phone, "card_scan_to_panel": card,
                      "identify_client": identify, "sale_to_credited": credited}))


if __name__ == "__main__":
    main()
