"""Never stop the till, measured: sales completed offline, and draining a big queue.

    ./dev bench            (or: .venv/bin/python benchmarks/bench_offline.py [--queued N])

* sale completed offline: ``Checkout.complete`` with the service stopped (connection refused):
  the sale is written to the outbox (WAL, synchronous=FULL) and the cashier can hand over the
  receipt with points pending.
* outbox drain: N sales queued while offline, then the service comes back; sales per second
  until the outbox is empty.

Many tills selling at once against the service (on SQLite and on PostgreSQL): bench_chain_load.py.
"""

from __future__ import annotations

import argparse
import asyncio
import os
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
from pos_core.sale import Tender  # noqa: E402
from pos_core.settings import Settings  # noqa: E402

PHONES = [f"020 7946 {n:04d}" for n in range(1, 11)]


def percentiles(samples: list[float]) -> dict[str, float]:
    cut = statistics.quantiles(sorted(samples), n=100, method="inclusive")
    return {"n": len(samples), "p50_ms": round(cut[49] * 1000, 2), "p99_ms": round(cut[98] * 1000, 2)}


def till(service: RunningService, data_dir: Path, number: int) -> Checkout:
    settings = Settings(api_url=service.url, api_key=service.api_key, data_dir=data_dir, terminal_id=f"bench-{number}")
    return Checkout(LoyaltyClient(service.url, service.api_key, deadlines=settings.deadlines), settings)


async def ready(checkout: Checkout) -> tuple[list, list]:
    await checkout.load_store()
    customers = [await checkout.identify("phone", phone) for phone in PHONES]
    products = [p for p in checkout.catalog if p.category not in ("tobacco", "gift_cards")]
    return customers, products


def sale_for(checkout: Checkout, customers, products, i: int):
    basket = Basket()
    for product in products[i % 17 : i % 17 + 3]:
        basket = basket.add(product, 1 + i % 2)
    return checkout.new_sale().with_basket(basket).with_customer(customers[i % len(customers)]), basket.subtotal


async def offline_and_drain(service: RunningService, db: Path, data_dir: Path, queued: int) -> tuple[dict, float]:
    checkout = till(service, data_dir, 0)
    customers, products = await ready(checkout)
    service.stop()
    latencies = []
    for i in range(queued):
        sale, due = sale_for(checkout, customers, products, i)
        start = time.perf_counter()
        done = await checkout.complete(sale, (Tender("card", due),), None)
        latencies.append(time.perf_counter() - start)
        assert done.points_pending
    assert checkout.outbox.pending_count() == queued
    back = start_service(db_path=db, api_key=service.api_key, port=int(service.url.rsplit(":", 1)[1]))
    try:
        start = time.perf_counter()
        assert await checkout.sender.drain(timeout=600)
        rate = queued / (time.perf_counter() - start)
    finally:
        await checkout.client.aclose()
        checkout.close()
        back.stop()
    return percentiles(latencies), rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--queued", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "service" / "loyalty.db"
        service = start_service(db_path=db, api_key="bench-key", log_path=Path(tmp) / "service.log")
        offline, drain_rate = asyncio.run(offline_and_drain(service, db, Path(tmp) / "offline", args.queued))
    print(f"machine: {os.cpu_count()} cores; service and till on one machine, SQLite WAL + synchronous=FULL on both sides")
    print(f"sale completed offline     p50 {offline['p50_ms']} ms  p99 {offline['p99_ms']} ms  (n={offline['n']})")
    print(f"outbox drain after {args.queued} queued: {drain_rate:.0f} sales/s")


if __name__ == "__main__":
    main()
