"""``till-sim``: drive N headless tills through the same sale pipeline the apps use.

    till-sim --api-url URL --api-key K --tills N --sales M --data-dir DIR [--seed S] [--drain-timeout SEC]

Each till has its own data folder (outbox and cache) under DIR, its own ``Checkout`` and its
own outbox sender, exactly as a register has. It enrols its test customers where needed
(fictional numbers from Ofcom's drama range 0161 496 0xxx), sells them random baskets, and
prints JSON lines, flushed:

    {"event": "begin", "sale_id", "account_id"}          before the sale is written anywhere
    {"event": "done", "sale_id", "account_id", "points_expected"}   when a till would show done
    {"event": "summary", "completed", "confirmed", "pending", "set_aside", "latency_ms": {...}}

Run again on the same DIR and it first drains what is waiting, then sells M more.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from pos_core.basket import Basket
from pos_core.checkout import Checkout
from pos_core.loyalty_client import LoyaltyClient
from pos_core.loyalty_errors import AlreadyEnrolled, LoyaltyError
from pos_core.loyalty_models import AccountSummary
from pos_core.sale import Tender
from pos_core.settings import Settings

CUSTOMER_PHONES = [f"0161 496 {n:04d}" for n in range(20)]


def emit(event: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


@dataclass
class Tally:
    sale_ids: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)


async def customers_for(checkout: Checkout, count: int) -> list[AccountSummary]:
    found = []
    for number, phone in enumerate(CUSTOMER_PHONES[:count]):
        try:
            found.append(await checkout.identify("phone", phone))
        except LoyaltyError:
            try:
                found.append(await checkout.enrol(phone=phone, name=f"Sim Customer{number}", marketing=False))
            except AlreadyEnrolled:
                found.append(await checkout.identify("phone", phone))
    return found


async def run_till(checkout: Checkout, sales: int, rng: random.Random, tally: Tally, drain_timeout: float) -> None:
    sender = asyncio.create_task(checkout.sender.run())
    try:
        # Whatever an earlier run left waiting goes first.
        await checkout.sender.drain(timeout=drain_timeout)
        if sales:
            await checkout.load_store()
            customers = await customers_for(checkout, 8)
            assert checkout.catalog is not None
            products = list(checkout.catalog)
            for _ in range(sales):
                await sell_one(checkout, customers, products, rng, tally)
    finally:
        sender.cancel()


async def sell_one(checkout: Checkout, customers, products, rng: random.Random, tally: Tally) -> None:
    customer = rng.choice(customers)
    basket = Basket()
    for product in rng.sample(products, rng.randint(1, 4)):
        basket = basket.add(product, rng.randint(1, 3))
    sale = checkout.new_sale().with_basket(basket).with_customer(customer)
    emit({"event": "begin", "sale_id": sale.sale_id, "account_id": customer.account_id})
    start = time.perf_counter()
    try:
        quote = await checkout.quote(sale)
    except LoyaltyError:
        quote = checkout.estimate(sale)
    due = quote.total if quote else basket.subtotal
    done = await checkout.complete(sale, (Tender("card", due),) if due else (), quote)
    tally.latencies.append(time.perf_counter() - start)
    tally.sale_ids.append(sale.sale_id)
    points = done.loyalty.points_earned if done.loyalty else done.points_expected
    emit({"event": "done", "sale_id": sale.sale_id, "account_id": customer.account_id, "points_expected": points})


async def simulate(args: argparse.Namespace) -> dict[str, object]:
    rng = random.Random(args.seed)
    checkouts: list[Checkout] = []
    for number in range(args.tills):
        settings = Settings(
            api_url=args.api_url,
            api_key=args.api_key,
            store_id="sim-store",
            terminal_id=f"sim-{number}",
            data_dir=args.data_dir,
        )
        client = LoyaltyClient(args.api_url, args.api_key, deadlines=settings.deadlines)
        checkouts.append(Checkout(client, settings))
    tallies = [Tally() for _ in checkouts]
    await asyncio.gather(
        *(
            run_till(checkout, args.sales, random.Random(rng.random()), tally, args.drain_timeout)
            for checkout, tally in zip(checkouts, tallies, strict=True)
        )
    )
    # Everything sold must reach the service before the summary, within the drain timeout.
    await asyncio.gather(*(checkout.sender.drain(timeout=args.drain_timeout) for checkout in checkouts))
    latencies = [value for tally in tallies for value in tally.latencies]
    pending = sum(checkout.outbox.pending_count() for checkout in checkouts)
    set_aside = sum(len(checkout.outbox.set_aside_sales()) for checkout in checkouts)
    completed = sum(len(tally.sale_ids) for tally in tallies)
    confirmed = sum(
        checkout.outbox.loyalty_answer(sale_id) is not None
        for checkout, tally in zip(checkouts, tallies, strict=True)
        for sale_id in tally.sale_ids
    )
    for checkout in checkouts:
        await checkout.client.aclose()
        checkout.close()
    return {
        "event": "summary",
        "completed": completed,
        "confirmed": confirmed,
        "pending": pending,
        "set_aside": set_aside,
        "latency_ms": _percentiles(latencies),
    }


def _percentiles(samples: list[float]) -> dict[str, float] | None:
    if len(samples) < 2:
        return None
    cut = statistics.quantiles(sorted(samples), n=100, method="inclusive")
    return {"p50": round(cut[49] * 1000, 2), "p99": round(cut[98] * 1000, 2), "max": round(max(samples) * 1000, 2)}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="till-sim", description="Drive headless tills through the real sale pipeline.")
    parser.add_argument("--api-url", required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--tills", type=int, default=1)
    parser.add_argument("--sales", type=int, default=10, help="sales per till (0: only drain)")
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--drain-timeout", type=float, default=30.0)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    summary = asyncio.run(simulate(args))
    emit(summary)
    return 0 if summary["pending"] == 0 and summary["set_aside"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
