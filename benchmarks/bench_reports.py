"""The managers' reports on a big database: how long each report takes, and which index it reads.

    .venv/bin/python benchmarks/bench_reports.py [--sales N] [--days D] [--stores S] [--backend sqlite|postgresql|both]

Fills a database with N members' sales (default 20 000; the issue's figure is ``--sales 100000``),
as many sales without a member, one enrolment for every 10 sales, referral bonuses and click &
collect orders, spread over D days (default 30) and S stores (default 10) with 4 tills and 6
cashiers each, then prints the time of each report (``reports.py``, as the routes call it; median
of 5) for a whole day and for the whole period, of one store and of every store. Rows are written
straight into the tables (the API would take minutes to make them); each sale's answer is a
real-sized one (5 lines, a breakdown, a reward's discount on one in 8). ``--old-sales``: the sales
as a service from before the reports recorded them (no ``total`` columns: read from the answer).

On SQLite it also prints the query plan of the sales family, so a full scan shows.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)

from loyalty_service.clock import rfc3339  # noqa: E402
from loyalty_service.database import Database, open_database, write_transaction  # noqa: E402
from loyalty_service.program import load_program  # noqa: E402
from loyalty_service.reports import enrolments_report, period, rewards_report, sales_report  # noqa: E402

REPEATS = 5


def answer(sale_id: str, total: int, discount: int) -> str:
    lines = [{"sku": f"10{n:02d}", "name": f"Product {n}", "category": "bakery", "unit_price": 250, "quantity": 1}
             for n in range(5)]
    breakdown = [{"rule": "base", "sku": line["sku"], "name": line["name"], "quantity": 1, "amount": 250,
                  "points": "2.5", "note": ""} for line in lines]
    discounts = [{"reward_id": "free-hot-drink", "name": "Free hot drink", "amount": discount}] if discount else []
    return json.dumps({"sale_id": sale_id, "lines": lines, "rewards": [d["reward_id"] for d in discounts],
                       "subtotal": total + discount, "discounts": discounts, "discount_total": discount,
                       "total": total, "points_earned": total // 100, "breakdown": breakdown})


def fill(database: Database, sales: int, days: int, stores: int, end: datetime, old_rows: bool = False) -> None:
    """``old_rows``: sales as recorded before the reports' columns (their figures only in the answer)."""
    rng = random.Random(16)
    start = end - timedelta(days=days)
    span = int((end - start).total_seconds())

    def moment() -> str:
        return rfc3339(start + timedelta(seconds=rng.randrange(span)))

    def place() -> tuple[str, str, str]:
        store = rng.randrange(stores)
        return f"store-{store}", f"till-{rng.randrange(4)}", f"c{store}{rng.randrange(6)}"

    accounts = max(sales // 10, 1)
    batch = 5000
    with database.connection() as conn:
        with write_transaction(conn):
            for n in range(accounts):
                store, till, cashier = place()
                when = moment()
                conn.execute("INSERT INTO accounts (account_id, name, phone, created_at, enrolled_by) VALUES (?, ?, ?, ?, ?)",
                             (f"acc_{n:08d}", "Member", f"+4479{n:08d}", when, cashier))
                conn.execute("INSERT INTO consents (account_id, terms_version, marketing, recorded_at, store_id,"
                             " terminal_id) VALUES (?, '2026-01', 0, ?, ?, ?)", (f"acc_{n:08d}", when, store, till))
        for first in range(0, sales, batch):
            with write_transaction(conn):
                members, anonymous = [], []
                for n in range(first, min(first + batch, sales)):
                    store, till, cashier = place()
                    total, discount = rng.randrange(100, 8000), (310 if n % 8 == 0 else 0)
                    members.append((f"s{n:09d}", "h", f"acc_{rng.randrange(accounts):08d}", store, till,
                                    answer(f"s{n:09d}", total, discount), moment(), cashier,
                                    *((None, None, None) if old_rows else (total, discount, int(discount > 0)))))
                    store, till, cashier = place()
                    total = rng.randrange(100, 5000)
                    anonymous.append((f"a{n:09d}", "h", store, till, cashier, "GBP", "[]", total, total, moment()))
                conn.executemany("INSERT INTO sales (sale_id, request_hash, account_id, store_id, terminal_id, answer,"
                                 " created_at, cashier_id, total, discount_total, rewards_redeemed)"
                                 " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", members)
                conn.executemany("INSERT INTO anonymous_sales (sale_id, request_hash, store_id, terminal_id, cashier_id,"
                                 " currency, lines, subtotal, total, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                 anonymous)
        with write_transaction(conn):
            for n in range(0, accounts - 1, 3):  # a referral paid for one new member in 3
                when = moment()
                conn.execute("INSERT INTO referrals (referee_id, referrer_id, code, status, created_at, sale_id, paid_at)"
                             " VALUES (?, ?, 'X', 'paid', ?, ?, ?)",
                             (f"acc_{n + 1:08d}", f"acc_{n:08d}", when, f"s{rng.randrange(sales):09d}", when))
            for n in range(sales // 20):  # orders: one for 20 sales, half collected
                store, till, _ = place()
                when = moment()
                collected = n % 2 == 0
                conn.execute(
                    "INSERT INTO orders (order_id, request_hash, pickup_code, account_id, store_id, points_at, status,"
                    " body, created_at, collected_at, collected_terminal_id) VALUES (?, 'h', ?, ?, ?, 'at_pickup', ?,"
                    " '{}', ?, ?, ?)",
                    (f"web-{n}", f"ORD-{n:020d}", f"acc_{rng.randrange(accounts):08d}", store,
                     "collected" if collected else "open", when, when if collected else None,
                     till if collected else None))
        conn.execute("ANALYZE")  # the planner's statistics, as a database in use has them


def timed(call) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(REPEATS):
        began = time.perf_counter()
        call()
        times.append(time.perf_counter() - began)
    return statistics.median(times) * 1000


def measure(backend: str, database: Database, args: argparse.Namespace) -> None:
    program = load_program()
    end = datetime.now(UTC).replace(microsecond=0)
    began = time.perf_counter()
    fill(database, args.sales, args.days, args.stores, end, args.old_sales)
    print(f"{backend}: filled {args.sales} members' sales, {args.sales} anonymous, {args.sales // 10} enrolments"
          f" over {args.days} days and {args.stores} stores in {time.perf_counter() - began:.1f} s")
    today = end.astimezone(period(program, None, None).zone).date()
    yesterday = (today - timedelta(days=1)).isoformat()  # the last whole day
    spans = {"a day": period(program, yesterday, yesterday),
             f"{args.days} days": period(program, (today - timedelta(days=args.days)).isoformat(), today.isoformat())}
    with database.connection() as conn:
        if conn.dialect == "sqlite":
            plan = conn.execute("EXPLAIN QUERY PLAN SELECT COUNT(*) FROM sales s WHERE s.created_at >= ? AND"
                                " s.created_at < ? AND s.store_id = ?", ("a", "b", "store-1")).fetchall()
            print(f"{backend}: sales of one store and day: " + "; ".join(str(row[3]) for row in plan))
        print(f"{'report':<26} {'period':<10} {'stores':<7} {'ms':>9}")
        for label, span in spans.items():
            for scope in ("store-1", None):
                reports = {f"sales by={by}": (lambda by=by: sales_report(conn, program, by, span, scope))
                           for by in ("store", "till", "cashier", "hour", "day")}
                reports["enrolments"] = lambda: enrolments_report(conn, span, scope)
                reports["rewards"] = lambda: rewards_report(conn, program, span, scope)
                for name, call in reports.items():
                    print(f"{name:<26} {label:<10} {'one' if scope else 'all':<7} {timed(call):>9.1f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=int, default=20_000, help="members' sales (and as many anonymous)")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--stores", type=int, default=10)
    parser.add_argument("--old-sales", action="store_true",
                        help="sales as recorded before the reports' columns: figures read from each answer's JSON")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="sqlite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.backend in ("sqlite", "both"):
            database = open_database(Path(tmp) / "reports.db")
            database.create_schema()
            try:
                measure("sqlite", database, args)
            finally:
                database.close()
        if args.backend in ("postgresql", "both"):
            from tests.postgres_server import PostgresUnavailable, start_postgres

            try:
                server = start_postgres(durable=True)
            except PostgresUnavailable as error:
                print(f"postgresql: {str(error).splitlines()[0]}")
                return 0
            try:
                database = open_database(server.create_database("bench_reports"))
                database.create_schema()
                try:
                    measure("postgresql", database, args)
                finally:
                    database.close()
            finally:
                server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
