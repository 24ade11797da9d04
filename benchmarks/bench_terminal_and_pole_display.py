"""How soon the second terminal and the pole display show a basket change at the till.

    .venv/bin/python benchmarks/bench_terminal_and_pole_display.py [--changes N]

One till's customer feed served on loopback by the real display server; N basket changes (an item
added each time, as a scan does), one at a time, each waited for before the next:

* second terminal: from ``feed.show`` until the customer display app (``make_app``, headless in
  ``run_test`` on the same loop) holds that view, through ``/events``, httpx-sse and the worker;
* pole display: from ``feed.show`` until the frame's last byte is read from a pseudo-terminal the
  display writes to (pyserial on the slave, in the display's own thread, the Epson command set).

Both run at once, as at a till; the times are p50 / p99 / max in milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import select
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cashier_tui.customer_display.app import make_app  # noqa: E402
from devices.pole_display import COMMAND_SETS, PoleDisplay  # noqa: E402
from pos_core.basket import Basket  # noqa: E402
from pos_core.catalog import Product  # noqa: E402
from pos_core.customer_display_server import DisplayServer, bind, make_display_app  # noqa: E402
from pos_core.customer_feed import CustomerFeed  # noqa: E402
from pos_core.pole_lines import pole_pages  # noqa: E402
from pos_core.sale import Sale  # noqa: E402


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return f"p50 {statistics.median(ordered) * 1000:6.1f} ms   p99 {p99 * 1000:6.1f} ms   max {ordered[-1] * 1000:6.1f} ms"


async def run(changes: int) -> None:
    feed = CustomerFeed(store="Demo Store")
    server = DisplayServer(make_display_app(feed), bind("127.0.0.1:0"))
    serving = asyncio.ensure_future(server.serve())
    while not server._server.started:
        await asyncio.sleep(0.01)
    master, slave = os.openpty()
    pole = PoleDisplay(f"serial://{os.ttyname(slave)}", "epson")
    pole.start()

    async def feed_pole() -> None:
        async for view in feed.follow():
            pole.show(pole_pages(view))

    pole_feeding = asyncio.ensure_future(feed_pole())
    received = bytearray()

    def pole_has(data: bytes) -> bool:
        while select.select([master], [], [], 0)[0]:
            received.extend(os.read(master, 65536))
        return received.endswith(data)

    app = make_app(server.url)
    terminal: list[float] = []
    pole_times: list[float] = []
    sale = Sale(store_id="demo-store", terminal_id="till-1", currency="GBP")
    async with app.run_test(size=(80, 24)):
        while app.display_screen.view is None:
            await asyncio.sleep(0.005)
        for n in range(1, changes + 1):
            product = Product(sku=f"{n:04d}", ean=None, name=f"Item {n}", category="bakery", unit_price=100 + n)
            sale = sale.with_basket(sale.basket.add(product))
            received.clear()
            started = time.perf_counter()
            feed.show(sale=sale)
            version = feed.version
            frame = COMMAND_SETS["epson"].frame(pole_pages(feed.view)[0])  # the last bytes of this change
            seen_terminal = seen_pole = None
            while seen_terminal is None or seen_pole is None:
                now = time.perf_counter()
                view = app.display_screen.view
                if seen_terminal is None and view is not None and view["version"] >= version:
                    seen_terminal = now - started
                if seen_pole is None and pole_has(frame):
                    seen_pole = now - started
                if now - started > 10:
                    raise SystemExit(f"change {n} not shown within 10 s")
                await asyncio.sleep(0.0005)
            terminal.append(seen_terminal)
            pole_times.append(seen_pole)
    pole_feeding.cancel()
    pole.stop()
    server.stop()
    await serving
    os.close(master)
    os.close(slave)
    print(f"basket change → second terminal ({changes} changes):  {percentiles(terminal)}")
    print(f"basket change → pole display bytes ({changes} changes): {percentiles(pole_times)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--changes", type=int, default=50, help="basket changes, each one more line (default 50)")
    asyncio.run(run(parser.parse_args().changes))


if __name__ == "__main__":
    main()
