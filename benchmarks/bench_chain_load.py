"""A chain's load: T tills selling at once against the reference service, on SQLite and on PostgreSQL.

    ./dev bench   (or: .venv/bin/python benchmarks/bench_chain_load.py [--tills 50|100] [--sales-per-till 20]
                       [--backend sqlite|postgresql|both] [--service-workers N] [--rate R] [--profile DIR])

Each till is a ``Checkout`` with its own outbox and cache and its own outbox sender running, as a
register has; all of them in this one process, the service a child process (``start_service``),
on one machine. Every sale goes as at a register: identify the customer (phone number), quote the
basket, pay by card (``Checkout.complete``); then the next sale at once (no pause: this is the most
a chain of T tills can ask of the service, not a day's trading). ``--rate R`` paces them instead:
the tills together start R sales a second, each till one every T/R seconds (a late till starts its
next at once), which is a chain's steady trade at that rate rather than its ceiling.

Printed for each backend:

* sale → credited p50 / p99: from payment (``Checkout.complete`` called) until the service's answer
  is stored on the till (the outbox's ``confirm``), over every sale: those confirmed while the
  receipt waited and those delivered afterwards by the sender.
* sales/s: every sale, from the moment the tills start selling until the last sale is credited.
* confirmed / pending: ``complete`` came back with the service's answer within the receipt deadline
  (2 s), or with "points pending" (the sender delivers the sale afterwards).
* service CPU ms/sale: the CPU time (user + system) the service's process and any workers it forked
  used from the first sale until the last was credited, read from /proc (process_cpu.py), over the
  sales made: what one full sale (identify, quote, pay) costs the service. On PostgreSQL the
  database server's own CPU per sale is printed beside it (its processes are measured the same way).
* the tills' CPU ms/sale: this process's own CPU (the tills, their senders, outboxes and caches) over
  the same time: on one machine it shares the cores with the service, and with no pause between
  sales a sale's wait is mostly the queue for those cores (Little's law), not the service's work.
* anything that went wrong: identifies answered from the cache, quotes estimated on the till, sends
  retried (and why), sales set aside, errors in the service's log; on PostgreSQL the peak number of
  the service's pooled connections (the pool holds at most 20).

The backends: SQLite in WAL mode with synchronous=FULL; PostgreSQL a private server started for the
run (``tests/postgres_server.py``, fsync and synchronous_commit on, so the two are compared on the
same promise: a credited sale survives a power cut). Without PostgreSQL (not installed, will not
start) its run is skipped, saying why, and SQLite's figures are still printed. The service runs with
``--flag-transactions-per-day`` set out of reach: its count still runs on every sale, as in a chain,
but ten demo customers buying a thousand times a day would otherwise all be flagged, which a real
chain's customers are not.

``--service-workers N`` starts the service with ``--workers N`` (N service processes on one
database; 1, the default, passes nothing). ``--profile DIR`` runs py-spy on the service for the
selling (service_profile.py) and writes ``DIR/<backend>-service.folded`` (collapsed stacks, for
speedscope or a flame graph; ``--profile-format speedscope|svg`` for py-spy's others), and prints
where the samples fell; a profiled run's figures are slowed by the sampling.

Why not ``till-sim``: its tills are this same pipeline (``Checkout`` and ``OutboxSender``), but its
summary counts a sale "confirmed" once the service has it after the final drain, so it cannot tell
the sales confirmed while the receipt waited from those queued as points pending; its latency runs
from the quote to the receipt (for a pending sale, just the receipt deadline), not to the credit;
and it reports no rate. So the tills are driven here, in-process, with one hook on each outbox's
``confirm`` to time when each sale is credited.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)  # the service child process imports loyalty_service from this checkout

from pos_core.basket import Basket  # noqa: E402
from pos_core.checkout import Checkout  # noqa: E402
from pos_core.embedded_service import EmbeddedServiceError, RunningService, start_service  # noqa: E402
from pos_core.loyalty_client import LoyaltyClient  # noqa: E402
from pos_core.loyalty_errors import LoyaltyError  # noqa: E402
from pos_core.sale import Tender  # noqa: E402
from pos_core.settings import Settings  # noqa: E402

from process_cpu import tree_cpu_seconds  # noqa: E402
from service_profile import FORMATS, Recording, summary  # noqa: E402

PHONES = [f"020 7946 {n:04d}" for n in range(1, 11)]  # the demo store's customers
API_KEY = "bench-key"
POOL_SIZE = 20  # the service's PostgreSQL pool (open_database's default)
SERVICE_ARGS = ("--flag-transactions-per-day", "1000000000")


@dataclass
class Run:
    """What one backend's run measured."""

    backend: str
    tills: int
    sold: int = 0
    confirmed: int = 0
    pending: int = 0
    credited_ms: list[float] = field(default_factory=list)
    seconds: float = 0.0
    undelivered: int = 0
    set_aside: int = 0
    provisional: int = 0  # identifies answered from the till's cache
    estimated: int = 0  # quotes worked out on the till
    identify_ms: list[float] = field(default_factory=list)
    quote_ms: list[float] = field(default_factory=list)
    failed: Counter[str] = field(default_factory=Counter)  # calls that failed for good, by why
    crashed: str = ""  # why the run stopped, if it did
    retries: Counter[str] = field(default_factory=Counter)  # sends that will be tried again, by why
    log_errors: list[str] = field(default_factory=list)
    log_excerpt: str = ""
    pool_peak: tuple[int, int] | None = None  # (open, busy) service connections, PostgreSQL only
    service_cpu: float = 0.0  # CPU seconds the service (all its processes) used while the tills sold
    database_cpu: float | None = None  # likewise the PostgreSQL server's processes
    tills_cpu: float = 0.0  # CPU seconds this process (the tills, their senders and files) used meanwhile
    profile: list[str] = field(default_factory=list)  # the profile's summary, with --profile


def percentile(samples: list[float], p: int) -> float:
    if len(samples) < 2:
        return samples[0] if samples else float("nan")
    return statistics.quantiles(sorted(samples), n=100, method="inclusive")[p - 1]


def till(service: RunningService, data_dir: Path, number: int) -> Checkout:
    settings = Settings(api_url=service.url, api_key=service.api_key, data_dir=data_dir, terminal_id=f"till-{number}")
    return Checkout(LoyaltyClient(service.url, service.api_key, deadlines=settings.deadlines), settings)


def watch_outbox(checkout: Checkout, credited: dict[str, float], run: Run) -> None:
    """Note when each sale is credited on the till, and why a send is to be tried again, whether
    the sender sent it alone or in a batch (``confirm_many``, ``retry_later_many``)."""
    outbox = checkout.outbox
    confirm_many, retry_later_many = outbox.confirm_many, outbox.retry_later_many

    def confirmed_many(answers: list) -> None:
        confirm_many(answers)
        now = time.perf_counter()
        for sale_id, _ in answers:
            credited[sale_id] = now

    def again_many(sale_ids: list[str], error: str, **details: object) -> list[int]:
        run.retries[error] += len(sale_ids)
        return retry_later_many(sale_ids, error, **details)

    # The outbox's confirm and retry_later call these two, so every path is seen.
    outbox.confirm_many = confirmed_many  # type: ignore[method-assign]
    outbox.retry_later_many = again_many  # type: ignore[method-assign]


async def sell(checkout: Checkout, number: int, sales: int, paid: dict[str, float], run: Run,
               pace: float | None = None, tills: int = 1) -> None:
    """``pace``: seconds from one of this till's sales to its next (None: the next at once); the
    tills' first sales are spread evenly over one pace."""
    products = [p for p in checkout.catalog if p.category not in ("tobacco", "gift_cards")]
    next_sale = time.perf_counter() + (pace * number / tills if pace else 0.0)
    for i in range(sales):
        if pace:
            await asyncio.sleep(max(0.0, next_sale - time.perf_counter()))  # a late till starts at once
            next_sale += pace
        asked = time.perf_counter()
        try:
            customer = await checkout.identify("phone", PHONES[(number + i) % len(PHONES)])
        except LoyaltyError as error:
            run.failed[f"a sale not made, identify failed: {error.message}"] += 1
            continue
        run.identify_ms.append((time.perf_counter() - asked) * 1000)
        run.provisional += customer.provisional
        basket = Basket()
        for product in products[(number + i) % 17 : (number + i) % 17 + 3]:
            basket = basket.add(product, 1 + i % 2)
        sale = checkout.new_sale().with_basket(basket).with_customer(customer)
        asked = time.perf_counter()
        try:
            quote = await checkout.quote(sale)
        except LoyaltyError as error:
            run.failed[f"a sale not made, quote failed: {error.message}"] += 1
            continue
        run.quote_ms.append((time.perf_counter() - asked) * 1000)
        run.estimated += bool(quote and quote.estimated)
        due = quote.total if quote else basket.subtotal
        paid[sale.sale_id] = time.perf_counter()
        done = await checkout.complete(sale, (Tender("card", due),), quote)
        run.sold += 1
        if done.loyalty is not None:
            run.confirmed += 1
        else:
            run.pending += 1


async def open_till(checkout: Checkout, run: Run, attempts: int = 5) -> None:
    """What a register does when it opens; tried again, as a cashier would, when the service fails."""
    for attempt in range(attempts):
        try:
            await checkout.load_store()
            break
        except LoyaltyError as error:
            run.failed[f"opening a till: {error.message}"] += 1
            if attempt == attempts - 1:
                raise
    for phone in PHONES:
        try:
            await checkout.identify("phone", phone)
        except LoyaltyError as error:
            run.failed[f"opening a till, identify: {error.message}"] += 1


@dataclass
class Watched:
    """The processes whose CPU a run reads, and a profiler to run while the tills sell."""

    service_pid: int
    database_pid: int | None = None
    profile: Path | None = None
    profile_format: str = "raw"


async def chain(
    service: RunningService, data_dir: Path, run: Run, sales: int, drain_timeout: float, watched: Watched,
    rate: float = 0.0,
) -> None:
    checkouts = [till(service, data_dir, n) for n in range(run.tills)]
    paid: dict[str, float] = {}
    credited: dict[str, float] = {}
    for checkout in checkouts:
        watch_outbox(checkout, credited, run)
    senders = [asyncio.create_task(checkout.sender.run()) for checkout in checkouts]
    recording: Recording | None = None
    try:
        # Open the tills: programme and catalog, and each customer seen once (so the cache has them).
        await asyncio.gather(*(open_till(checkout, run) for checkout in checkouts))
        if watched.profile is not None:
            recording = await asyncio.to_thread(Recording, watched.service_pid, watched.profile, watched.profile_format)
        cpu_before = await asyncio.to_thread(_cpu, watched)
        tills_before = time.process_time()
        start = time.perf_counter()
        pace = len(checkouts) / rate if rate > 0 else None
        await asyncio.gather(*(sell(checkout, n, sales, paid, run, pace, len(checkouts))
                               for n, checkout in enumerate(checkouts)))
        # The points pending reach the service by the senders, as they would in a shop.
        deadline = time.monotonic() + drain_timeout
        while time.monotonic() < deadline:
            if sum(await asyncio.gather(*(asyncio.to_thread(c.outbox.pending_count) for c in checkouts))) == 0:
                break
            await asyncio.sleep(0.05)
        cpu_after = await asyncio.to_thread(_cpu, watched)
        run.tills_cpu = time.process_time() - tills_before
        run.service_cpu = cpu_after[0] - cpu_before[0]
        if cpu_before[1] is not None and cpu_after[1] is not None:
            run.database_cpu = cpu_after[1] - cpu_before[1]
        if recording is not None:
            written, recording = await asyncio.to_thread(recording.stop), None
            if written is not None and watched.profile_format == "raw":
                run.profile = summary(written)
            elif written is not None:
                run.profile = [f"written to {written}"]
        run.seconds = max(credited.values(), default=start) - start
        run.credited_ms = [(credited[s] - paid[s]) * 1000 for s in paid if s in credited]
        run.undelivered = sum(c.outbox.pending_count() for c in checkouts)
        run.set_aside = sum(len(c.outbox.set_aside_sales()) for c in checkouts)
    finally:
        if recording is not None:  # the run failed while sampling
            recording.stop()
        for task in senders:
            task.cancel()
        await asyncio.gather(*senders, return_exceptions=True)
        for checkout in checkouts:
            await checkout.client.aclose()
            checkout.close()


def _cpu(watched: Watched) -> tuple[float, float | None]:
    """CPU seconds so far of the service's processes, and of the database server's."""
    database = None if watched.database_pid is None else tree_cpu_seconds(watched.database_pid)
    return tree_cpu_seconds(watched.service_pid), database


class PoolWatch:
    """Samples the service's connections on the PostgreSQL server (open, and busy in a query or
    transaction) every 50 ms, in a thread; keeps the peaks."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.peak = (0, 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="pool-watch", daemon=True)

    def __enter__(self) -> PoolWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)

    def _watch(self) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            while not self._stop.wait(0.05):
                opened, busy = conn.execute(
                    "SELECT count(*), count(*) FILTER (WHERE state <> 'idle') FROM pg_stat_activity"
                    " WHERE application_name = 'loyalty-service'"
                ).fetchone()
                self.peak = (max(self.peak[0], opened), max(self.peak[1], busy))


def read_log(log: Path, run: Run) -> None:
    """The service's complaints: its error lines, and the end of its first traceback."""
    if not log.exists():
        return
    lines = log.read_text(errors="replace").splitlines()
    run.log_errors = [line for line in lines if " ERROR " in line or "Traceback" in line]
    for at, line in enumerate(lines):
        if line.startswith("Traceback"):
            end = at + 1
            while end < len(lines) and (lines[end].startswith((" ", "\t")) or not lines[end].strip()):
                end += 1
            frames = lines[at + 1 : end + 1]
            shown = frames if len(frames) <= 16 else ["  ...", *frames[-16:]]
            run.log_excerpt = "\n".join([line, *shown])
            break


def measure(
    backend: str, db: Path | str, tmp: Path, args: argparse.Namespace, admin_url: str | None = None,
    database_pid: int | None = None,
) -> Run:
    run = Run(backend, args.tills)
    log = (args.logs or tmp) / f"{backend}-service.log"
    log.unlink(missing_ok=True)  # the service appends
    workers = ("--workers", str(args.service_workers)) if args.service_workers > 1 else ()
    service = start_service(db_path=db, api_key=API_KEY, log_path=log, extra_args=(*SERVICE_ARGS, *workers))
    profile = None
    if args.profile is not None:
        profile = args.profile / f"{backend}-service.{FORMATS[args.profile_format]}"
    watched = Watched(service.process.pid, database_pid, profile, args.profile_format)
    tills = chain(service, tmp / f"{backend}-tills", run, args.sales_per_till, args.drain_timeout, watched, args.rate)
    try:
        if admin_url is None:
            asyncio.run(tills)
        else:
            with PoolWatch(admin_url) as watch:
                try:
                    asyncio.run(tills)
                finally:
                    run.pool_peak = watch.peak
    except Exception as error:  # noqa: BLE001 - reported with the service's log, and the other backend still runs
        run.crashed = f"{type(error).__name__}: {error}"
    finally:
        service.stop()
    read_log(log, run)
    return run


def on_postgresql(tmp: Path, args: argparse.Namespace) -> Run | str:
    """The PostgreSQL run, or why there was none."""
    try:
        import psycopg

        from tests.postgres_server import PostgresUnavailable, start_postgres
    except ImportError as error:  # psycopg missing
        return f"cannot use PostgreSQL here: {error}"
    try:
        server = start_postgres(durable=True)
    except PostgresUnavailable as error:
        return str(error).splitlines()[0]
    try:
        try:
            url = server.create_database("bench_chain")
        except psycopg.Error as error:
            return f"cannot make a database on {server.admin_url}: {str(error).strip().splitlines()[0]}"
        return measure("postgresql", url, tmp, args, admin_url=server.admin_url, database_pid=_postmaster(server))
    finally:
        try:
            server.stop()
        except psycopg.Error as error:
            print(f"postgresql: could not clean up: {error}", file=sys.stderr)


def _postmaster(server) -> int | None:
    """The private server's main process (its first line of postmaster.pid); None for another's."""
    if server.folder is None:
        return None
    found = next(Path(server.folder).rglob("postmaster.pid"), None)
    try:
        return int(found.read_text().split()[0]) if found else None
    except (OSError, ValueError, IndexError):
        return None


def ms(value: float) -> str:
    return f"{value:.0f} ms" if value == value else "-"


def report(results: list[Run | tuple[str, str]], args: argparse.Namespace) -> None:
    print(f"machine: {os.cpu_count()} cores; service ({args.service_workers} process"
          f"{'es' if args.service_workers > 1 else ''}), database and {args.tills} tills on one machine;"
          f" each sale: identify, quote, pay; {args.sales_per_till} sales per till;"
          f" {f'started at {args.rate:g} sales/s in all' if args.rate > 0 else 'each next sale at once'}")
    header = (f"{'backend':<11} {'sales':>6} {'sales/s':>8} {'credited p50':>13} {'p99':>8}"
              f" {'confirmed':>10} {'pending':>8} {'service CPU/sale':>17}")
    print(header)
    print("-" * len(header))
    for result in results:
        if isinstance(result, tuple):
            backend, why = result
            print(f"{backend:<11} skipped: {why}")
            continue
        if result.crashed:
            print(f"{result.backend:<11} failed: {result.crashed}")
            continue
        rate = f"{result.sold / result.seconds:.1f}" if result.seconds else "-"
        print(f"{result.backend:<11} {result.sold:>6} {rate:>8} {ms(percentile(result.credited_ms, 50)):>13}"
              f" {ms(percentile(result.credited_ms, 99)):>8} {result.confirmed:>10} {result.pending:>8}"
              f" {cpu_ms(result.service_cpu, result.sold):>17}")
    for result in results:
        if isinstance(result, tuple):
            continue
        notes = [f"the till waited for identify p50 {ms(percentile(result.identify_ms, 50))}"
                 f" p99 {ms(percentile(result.identify_ms, 99))}, for quote p50 {ms(percentile(result.quote_ms, 50))}"
                 f" p99 {ms(percentile(result.quote_ms, 99))}"]
        if result.database_cpu is not None:
            notes.append(f"the PostgreSQL server used {cpu_ms(result.database_cpu, result.sold)} of CPU per sale")
        # On one machine the tills share its cores with the service: with no pause between sales,
        # each sale's wait is mostly the queue for those cores (Little's law), not the service.
        notes.append(f"the tills (this process) used {cpu_ms(result.tills_cpu, result.sold)} of CPU per sale,"
                     f" on the same {os.cpu_count()} cores")
        if result.pool_peak is not None:
            notes.append(f"service connections to PostgreSQL at most {result.pool_peak[0]} open,"
                         f" {result.pool_peak[1]} busy at once, in a query or transaction (pool max {POOL_SIZE * args.service_workers})")
        if result.provisional:
            notes.append(f"{result.provisional} identifies answered from the till's cache (service too slow)")
        if result.estimated:
            notes.append(f"{result.estimated} quotes estimated on the till (service too slow)")
        notes += [f"{count} times {why}" for why, count in result.failed.most_common()]
        notes += [f"{count} sends to try again: {why}" for why, count in result.retries.most_common(5)]
        if result.undelivered:
            notes.append(f"{result.undelivered} sales still not delivered after {args.drain_timeout:.0f} s")
        if result.set_aside:
            notes.append(f"{result.set_aside} sales set aside (refused by the service)")
        if result.log_errors:
            notes.append(f"{len(result.log_errors)} error lines in the service's log, first: {result.log_errors[0]}")
        for note in notes:
            print(f"  {result.backend}: {note}")
        if result.log_excerpt:
            print(f"  {result.backend}: the service's first traceback:")
            print("    " + result.log_excerpt.replace("\n", "\n    "))
        if result.profile:
            print(f"  {result.backend}: the service's profile while the tills sold (py-spy):")
            print("    " + "\n    ".join(result.profile))
    print("credited: from payment until the service's answer is on the till, every sale; confirmed: the answer came"
          " while the receipt waited (2 s); pending: the receipt said points pending, the sender delivered them after")


def cpu_ms(seconds: float, sales: int) -> str:
    return f"{1000 * seconds / sales:.1f} ms" if sales else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tills", type=int, default=50, help="tills selling at once (the issue's sizes: 50, 100)")
    parser.add_argument("--sales-per-till", type=int, default=20)
    parser.add_argument("--rate", type=float, default=0.0, metavar="SALES_PER_S",
                        help="the tills together start this many sales a second, each till at its own steady pace"
                             " (a chain's trade, not its ceiling); 0, the default: each next sale at once")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--drain-timeout", type=float, default=120.0,
                        help="seconds to wait, after the last sale, for the points pending to be delivered")
    parser.add_argument("--logs", type=Path, metavar="DIR",
                        help="keep the service's logs in DIR (default: thrown away)")
    parser.add_argument("--service-workers", type=int, default=1, metavar="N",
                        help="service processes on the one database (the service's --workers; default 1)")
    parser.add_argument("--profile", type=Path, metavar="DIR",
                        help="run py-spy on the service while the tills sell; its samples go to DIR")
    parser.add_argument("--profile-format", choices=tuple(FORMATS), default="raw",
                        help="raw: collapsed stacks, summarised here (default); speedscope or svg: py-spy's own")
    args = parser.parse_args()
    results: list[Run | tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        for backend in ("sqlite", "postgresql"):
            if args.backend not in (backend, "both"):
                continue
            try:
                if backend == "sqlite":
                    results.append(measure("sqlite", tmp / "service" / "loyalty.db", tmp, args))
                else:
                    outcome = on_postgresql(tmp, args)
                    results.append(outcome if isinstance(outcome, Run) else ("postgresql", outcome))
            except EmbeddedServiceError as error:
                results.append((backend, f"the service failed: {error}"))
    report(results, args)


if __name__ == "__main__":
    main()
