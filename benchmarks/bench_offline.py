"""Never stop the till, measured: sales completed offline, and draining a big queue.

    ./dev bench            (or: .venv/bin/python benchmarks/bench_offline.py [--queued N] [--no-batch | --batch])

* sale completed offline: ``Checkout.complete`` with the service stopped (connection refused):
  the sale is written to the outbox (WAL, synchronous=FULL) and the cashier can hand over the
  receipt with points pending.
* outbox drain: N sales of C customers in turn queued while offline (default 1000 of 200; the
  issue's figure is ``--queued 10000``, and its queue was the demo's 10 members, ``--customers
  10``: 1 000 sales each in a day, where every sale's checks read a long history), then the till restarts and the service comes back; sales per second until
  the outbox is empty. Measured twice on copies of the same queue and service database: with
  batches (``POST /v1/sales/batch``, up to 100 sales a request) and without (the service started
  with ``--no-sale-batches``, so the till falls back to one ``POST /v1/sales`` a sale).

Many tills selling at once against the service (on SQLite and on PostgreSQL): bench_chain_load.py.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)

from pos_core.basket import Basket  # noqa: E402
from pos_core.checkout import Checkout  # noqa: E402
from pos_core.embedded_service import RunningService, start_service  # noqa: E402
from pos_core.loyalty_client import LoyaltyClient  # noqa: E402
from pos_core.loyalty_errors import AlreadyEnrolled  # noqa: E402
from pos_core.outbox import Outbox  # noqa: E402
from pos_core.outbox_sender import OutboxSender  # noqa: E402
from pos_core.sale import Tender  # noqa: E402
from pos_core.settings import Settings  # noqa: E402

# The demo store's ten members first (the queue the issue measured: ``--customers 10``), then
# numbers of the same fictional range enrolled for the run.
PHONES = [f"020 7946 {n:04d}" for n in range(1, 999)]


def percentiles(samples: list[float]) -> dict[str, float]:
    cut = statistics.quantiles(sorted(samples), n=100, method="inclusive")
    return {"n": len(samples), "p50_ms": round(cut[49] * 1000, 2), "p99_ms": round(cut[98] * 1000, 2)}


def till(service: RunningService, data_dir: Path, number: int) -> Checkout:
    settings = Settings(api_url=service.url, api_key=service.api_key, data_dir=data_dir, terminal_id=f"bench-{number}")
    return Checkout(LoyaltyClient(service.url, service.api_key, deadlines=settings.deadlines), settings)


async def ready(checkout: Checkout, customers_wanted: int) -> tuple[list, list]:
    await checkout.load_store()
    customers = []
    for phone in PHONES[:customers_wanted]:
        try:  # enrolled first: an identify that finds nobody spends the key's lookup budget
            customers.append(await checkout.client.enrol(
                phone=phone, name=f"Bench {len(customers)}", terms_version=checkout.program.terms_version, marketing=False,
            ))
        except AlreadyEnrolled:
            customers.append(await checkout.identify("phone", phone))
    products = [p for p in checkout.catalog if p.category not in ("tobacco", "gift_cards")]
    return customers, products


def sale_for(checkout: Checkout, customers, products, i: int):
    basket = Basket()
    for product in products[i % 17 : i % 17 + 3]:
        basket = basket.add(product, 1 + i % 2)
    return checkout.new_sale().with_basket(basket).with_customer(customers[i % len(customers)]), basket.subtotal


async def queue_offline(service: RunningService, data_dir: Path, queued: int, customers_wanted: int) -> tuple[dict, Path]:
    """N sales of that many customers in turn, completed with the service stopped; the path of
    the till's outbox holding them."""
    checkout = till(service, data_dir, 0)
    customers, products = await ready(checkout, customers_wanted)
    service.stop()
    latencies = []
    try:
        for i in range(queued):
            sale, due = sale_for(checkout, customers, products, i)
            start = time.perf_counter()
            done = await checkout.complete(sale, (Tender("card", due),), None)
            latencies.append(time.perf_counter() - start)
            assert done.points_pending
        assert checkout.outbox.pending_count() == queued
        outbox_path = checkout.outbox.path
    finally:
        await checkout.client.aclose()
        checkout.close()
    return percentiles(latencies), outbox_path


async def drain(service: RunningService, outbox_path: Path, queued: int) -> float:
    """Sales per second delivering the whole outbox (a restarted till: every sale due at once)."""
    outbox = Outbox(outbox_path)
    client = LoyaltyClient(service.url, service.api_key)
    sender = OutboxSender(outbox, client)
    try:
        start = time.perf_counter()
        assert await sender.drain(timeout=1800)
        rate = queued / (time.perf_counter() - start)
        assert outbox.pending_count() == 0 and outbox.set_aside_sales() == []
    finally:
        await client.aclose()
        outbox.close()
    return rate


def copy_of(folder: Path, to: Path) -> Path:
    shutil.copytree(folder, to)
    return to


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--queued", type=int, default=1000, help="sales queued offline (the issue's figure: 10000)")
    parser.add_argument("--customers", type=int, default=200, choices=range(1, len(PHONES) + 1), metavar="N",
                        help="whose sales they are, in turn (default 200; the issue's queue: 10, the demo's members)")
    only = parser.add_mutually_exclusive_group()
    only.add_argument("--no-batch", action="store_true", help="drain with single calls only")
    only.add_argument("--batch", action="store_true", help="drain with batches only")
    args = parser.parse_args()
    modes = [m for m, skip in (("batches", args.no_batch), ("single calls", args.batch)) if not skip]
    rates: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        service_dir = root / "service"
        service = start_service(db_path=service_dir / "loyalty.db", api_key="bench-key", log_path=root / "service.log",
                                extra_args=("--enrolments-per-minute", "0"))
        port = int(service.url.rsplit(":", 1)[1])
        offline, outbox_path = asyncio.run(queue_offline(service, root / "offline", args.queued, args.customers))
        till_dir = outbox_path.parent
        for n, mode in enumerate(modes):
            # Each mode drains its own copy of the same queue into its own copy of the service's data.
            db = copy_of(service_dir, root / f"service-{n}") / "loyalty.db"
            outbox_copy = copy_of(till_dir, root / f"till-{n}") / outbox_path.name
            extra = ("--no-sale-batches",) if mode == "single calls" else ()
            back = start_service(db_path=db, api_key=service.api_key, port=port, log_path=root / f"service-{n}.log",
                                 extra_args=extra)
            try:
                rates[mode] = asyncio.run(drain(back, outbox_copy, args.queued))
            finally:
                back.stop()
    print(f"machine: {os.cpu_count()} cores; service and till on one machine, SQLite WAL + synchronous=FULL on both sides")
    print(f"sale completed offline     p50 {offline['p50_ms']} ms  p99 {offline['p99_ms']} ms  (n={offline['n']})")
    for mode, rate in rates.items():
        print(f"outbox drain after {args.queued} queued ({args.customers} customers), {mode}: {rate:.0f} sales/s")


if __name__ == "__main__":
    main()
