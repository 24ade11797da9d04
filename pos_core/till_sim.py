"""``till-sim``: drive N headless tills through the same sale pipeline the apps use.

    till-sim --api-url URL --api-key K --tills N --sales M --data-dir DIR [--seed S] [--drain-timeout SEC]
             [--settle-timeout SEC] [--start-timeout SEC] [--customers C] [--phones-prefix P] [--terminal-prefix T]
             [--backoff-longest SEC]

Each till has its own data folder (outbox and cache) under DIR, its own ``Checkout`` and its
own outbox sender, exactly as a register has. It is meant to be pointed through a bad network
and killed: it retries its own start-up calls (the programme, the catalog, its customers) with
backoff until ``--start-timeout``, and then sells as a register does through faults: each
customer identified again for each sale (from the cache, provisional, when the service is
away), points estimated by the programme's rules when no quote comes, and every sale recorded
in the outbox before it is called done. Its customers are ``PREFIX`` followed by 000, 001, ...
(default 0161 496 0000..., fictional numbers from Ofcom's drama range), identified, or enrolled
when the service does not know them. It prints JSON lines, flushed:

    {"event": "started", "tills": [...]}                 once SIGTERM is handled (see below)
    {"event": "begin", "sale_id", "account_id"}          before the sale is written anywhere
    {"event": "done", "sale_id", "account_id", "points_expected", "completed_at", ...}
                                                          once the sale is in the till's outbox
    {"event": "start_retry", "terminal_id", "step", "error"}   a start-up call that will be tried again
    {"event": "start_failed", "terminal_id", "error"}    a till that could not start in time
    {"event": "summary", "completed", "confirmed", "pending", "set_aside", "latency_ms": {...}, ...}

Run again on the same DIR and it first drains what is waiting, then sells M more (``--sales 0``
only drains). SIGTERM: stop selling after the sale in hand, let the senders deliver, summarise.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import signal
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar

from pos_core.basket import Basket
from pos_core.checkout import Checkout
from pos_core.loyalty_client import LoyaltyClient
from pos_core.loyalty_errors import AlreadyEnrolled, LoyaltyError, LoyaltyUnavailable, UnknownCustomer
from pos_core.loyalty_models import AccountSummary
from pos_core.sale import Tender
from pos_core.settings import Settings

PHONES_PREFIX = "0161 496 0"

T = TypeVar("T")


def emit(event: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


def customer_phones(prefix: str, count: int) -> list[str]:
    """The phone numbers of a run's customers: the prefix, then 000, 001, ..."""
    return [f"{prefix}{number:03d}" for number in range(count)]


class StartFailed(RuntimeError):
    """A till could not get what it needs to sell before its start deadline."""


@dataclass
class Tally:
    sale_ids: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    provisional: int = 0  # customers identified from the cache
    estimated: int = 0  # sales priced by the offline estimate
    start_retries: int = 0
    start_failed: bool = False


@dataclass
class Till:
    checkout: Checkout
    tally: Tally
    rng: random.Random

    @property
    def terminal_id(self) -> str:
        return self.checkout.settings.terminal_id


async def with_retries(till: Till, step: str, call: Callable[[], Awaitable[T]], deadline: float) -> T:
    """``call()`` until it gets through, waiting with backoff between tries; StartFailed at the deadline.

    Only "the service could not answer" is tried again; a refusal (a wrong key) is not.
    """
    attempt = 0
    while True:
        try:
            return await call()
        except LoyaltyUnavailable as error:
            wait = till.rng.uniform(0.5, 1.0) * min(2.0, 0.1 * 2**attempt)
            if time.monotonic() + wait > deadline:
                raise StartFailed(f"{step}: {error.message}") from None
            till.tally.start_retries += 1
            emit({"event": "start_retry", "terminal_id": till.terminal_id, "step": step, "error": error.message})
            attempt += 1
            await asyncio.sleep(wait)


async def know_customer(till: Till, phone: str, number: int, deadline: float) -> AccountSummary:
    checkout = till.checkout

    async def once() -> AccountSummary:
        try:
            return await checkout.identify("phone", phone)
        except UnknownCustomer:
            pass
        try:
            return await checkout.enrol(phone=phone, name=f"Sim Customer{number}", marketing=False)
        except AlreadyEnrolled:
            # Another till enrolled them meanwhile, or our own enrolment went through unanswered.
            return await checkout.identify("phone", phone)

    return await with_retries(till, f"identify {phone}", once, deadline)


async def start(till: Till, phones: list[str], start_timeout: float) -> list[tuple[str, AccountSummary]]:
    """The store and the customers, as the till can get them before the start deadline."""
    deadline = time.monotonic() + start_timeout
    await with_retries(till, "load the store", till.checkout.load_store, deadline)
    # All at once, each with its own retries, so one unlucky customer does not hold up the rest.
    found = await asyncio.gather(
        *(know_customer(till, phone, number, deadline) for number, phone in enumerate(phones)),
        return_exceptions=True,
    )
    for outcome in found:
        if not isinstance(outcome, (AccountSummary, StartFailed)):
            raise outcome
    customers = [(phone, summary) for phone, summary in zip(phones, found, strict=True) if isinstance(summary, AccountSummary)]
    if not customers:
        raise next(outcome for outcome in found if isinstance(outcome, StartFailed))
    return customers  # out of time for some: it sells to those it knows


async def run_till(till: Till, args: argparse.Namespace, stop: asyncio.Event) -> None:
    checkout = till.checkout
    # Whatever an earlier run left waiting goes first.
    await checkout.sender.drain(timeout=args.drain_timeout)
    sender = asyncio.create_task(checkout.sender.run())
    try:
        if args.sales and not stop.is_set():
            try:
                customers = await start(till, customer_phones(args.phones_prefix, args.customers), args.start_timeout)
            except StartFailed as error:
                till.tally.start_failed = True
                emit({"event": "start_failed", "terminal_id": till.terminal_id, "error": str(error)})
            else:
                assert checkout.catalog is not None
                products = list(checkout.catalog)
                for _ in range(args.sales):
                    if stop.is_set():
                        break
                    await sell_one(till, customers, products)
        await settle(checkout, args.settle_timeout if args.settle_timeout is not None else args.drain_timeout)
    finally:
        sender.cancel()


async def settle(checkout: Checkout, timeout: float) -> bool:
    """Let the sender deliver what waits, at its own pace (as a register would), up to ``timeout``."""
    deadline = time.monotonic() + timeout
    while await asyncio.to_thread(checkout.outbox.pending_count):
        if time.monotonic() >= deadline:
            return False
        checkout.sender.kick()
        await asyncio.sleep(0.1)
    return True


async def sell_one(till: Till, customers: list[tuple[str, AccountSummary]], products) -> None:
    checkout, rng, tally = till.checkout, till.rng, till.tally
    phone, known = rng.choice(customers)
    try:
        customer = await checkout.identify("phone", phone)  # the cache answers when the service cannot
    except LoyaltyError:
        customer = replace(known, provisional=True)
    tally.provisional += customer.provisional
    basket = Basket()
    for product in rng.sample(products, rng.randint(1, 4)):
        basket = basket.add(product, rng.randint(1, 3))
    sale = checkout.new_sale().with_basket(basket).with_customer(customer)
    emit({"event": "begin", "sale_id": sale.sale_id, "account_id": customer.account_id})
    started = time.perf_counter()
    try:
        quote = await checkout.quote(sale)
    except LoyaltyError:
        quote = None
    if quote is None:
        quote = checkout.estimate(sale)
    tally.estimated += quote.estimated
    due = quote.total if quote else basket.subtotal
    # Recorded in the outbox (fsync'd) before it returns: from here the sale is done.
    done = await checkout.complete(sale, (Tender("card", due),) if due else (), quote)
    tally.latencies.append(time.perf_counter() - started)
    tally.sale_ids.append(sale.sale_id)
    points = done.loyalty.points_earned if done.loyalty else done.points_expected
    emit({
        "event": "done",
        "sale_id": sale.sale_id,
        "account_id": customer.account_id,
        "terminal_id": till.terminal_id,
        "points_expected": points,
        "confirmed": done.loyalty is not None,
        "provisional": customer.provisional,  # the customer came from the till's cache
        "estimated": quote.estimated,  # priced by the programme's rules on the till
        "completed_at": done.completed_at,
    })


def make_tills(args: argparse.Namespace) -> list[Till]:
    rng = random.Random(args.seed)
    tills = []
    for number in range(args.tills):
        settings = Settings(
            api_url=args.api_url,
            api_key=args.api_key,
            store_id="sim-store",
            terminal_id=f"{args.terminal_prefix}-{number}",
            data_dir=args.data_dir,
        )
        client = LoyaltyClient(args.api_url, args.api_key, deadlines=settings.deadlines)
        checkout = Checkout(client, settings)
        if args.backoff_longest is not None:
            backoff = checkout.sender.backoff
            # A stuck sale (the same 5xx again and again) is retried at the same scale: 4× slower.
            checkout.sender.backoff = replace(
                backoff, first=min(backoff.first, args.backoff_longest), longest=args.backoff_longest,
                slow=4 * args.backoff_longest,
            )
        tills.append(Till(checkout, Tally(), random.Random(rng.random())))
    return tills


async def simulate(args: argparse.Namespace) -> dict[str, object]:
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    tills = make_tills(args)
    emit({"event": "started", "tills": [till.terminal_id for till in tills]})
    await asyncio.gather(*(run_till(till, args, stop) for till in tills))
    tallies = [till.tally for till in tills]
    latencies = [value for tally in tallies for value in tally.latencies]
    summary: dict[str, object] = {
        "event": "summary",
        "completed": sum(len(tally.sale_ids) for tally in tallies),
        "confirmed": sum(
            till.checkout.outbox.loyalty_answer(sale_id) is not None for till in tills for sale_id in till.tally.sale_ids
        ),
        "pending": sum(till.checkout.outbox.pending_count() for till in tills),
        "set_aside": sum(len(till.checkout.outbox.set_aside_sales()) for till in tills),
        "provisional": sum(tally.provisional for tally in tallies),
        "estimated": sum(tally.estimated for tally in tallies),
        "start_retries": sum(tally.start_retries for tally in tallies),
        "start_failed": sum(tally.start_failed for tally in tallies),
        "latency_ms": _percentiles(latencies),
    }
    for till in tills:
        await till.checkout.client.aclose()
        till.checkout.close()
    return summary


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
    parser.add_argument(
        "--drain-timeout", type=float, default=30.0,
        help="seconds to deliver what an earlier run left, before selling (ignoring the backoff)",
    )
    parser.add_argument(
        "--settle-timeout", type=float, default=None,
        help="seconds the senders get at the end to deliver at their own pace (default: --drain-timeout)",
    )
    parser.add_argument(
        "--start-timeout", type=float, default=60.0,
        help="seconds a till keeps retrying its start-up calls (store, customers) before it gives up",
    )
    parser.add_argument("--customers", type=int, default=8, help="customers per till (at most 1000)")
    parser.add_argument(
        "--phones-prefix", default=PHONES_PREFIX,
        help=f"customer n's phone is this prefix then n in three digits (default {PHONES_PREFIX!r})",
    )
    parser.add_argument("--terminal-prefix", default="sim", help="tills are PREFIX-0, PREFIX-1, ... (default sim)")
    parser.add_argument(
        "--backoff-longest", type=float, default=None,
        help="the longest wait between tries of one sale, and a quarter of a stuck sale's (default: the sender's own)",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.customers <= 1000:
        parser.error("--customers must be from 1 to 1000")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    summary = asyncio.run(simulate(args))
    emit(summary)
    if summary["start_failed"]:
        return 2
    return 0 if summary["pending"] == 0 and summary["set_aside"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
