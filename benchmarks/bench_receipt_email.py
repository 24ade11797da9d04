"""Digital receipts by e-mail: from a sale posted until its e-mail is accepted by the relay.

    .venv/bin/python benchmarks/bench_receipt_email.py [--sales 200] [--tills 4] [--rate 10]
                                                       [--backend sqlite|postgresql|both] [--service-workers N]

The reference service runs as a child process (``start_service``, the demo store) with
``--smtp-url`` pointing at a real SMTP server on loopback in this process (aiosmtpd, the tests'
``LoopbackRelay``), which notes when it accepts each message. ``--tills`` threads post sales at once,
each with a ``receipt_email``, together ``--rate`` sales a second (0: each till as fast as it can,
which measures the sender's ceiling: the queue then grows and the wait with it); the e-mail is sent by the service's sender from its
durable queue. Printed per backend:

* sale → e-mail accepted p50 / p99 / max: from the sale's POST until the relay accepted its message
  (matched by the deterministic Message-ID), over every sale;
* sale answer p50: the POST alone (what the till waits for; the e-mail is not on its path);
* e-mails/s: messages accepted from the first POST until the last acceptance;
* duplicates: messages accepted more than once for a sale (must be 0).

Defaults are small (200 sales) so a run takes seconds; ``--sales 2000`` for a longer one. Figures
depend on the machine: say how busy it was when quoting them.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pos_core.embedded_service import start_service  # noqa: E402
from tests.service.smtp_relay import LoopbackRelay  # noqa: E402

KEY = "bench-receipt-email-key-0123456789"
ALICE = "acc_7f3a9c2e51d0"


class TimedRelay(LoopbackRelay):
    """The loopback relay, noting when each message was accepted."""

    def __init__(self) -> None:
        super().__init__()
        self.accepted_at: dict[str, list[float]] = {}

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        reply = await super().handle_DATA(server, session, envelope)
        with self.lock:
            message = self.accepted[-1]
            self.accepted_at.setdefault(str(message["Message-ID"]), []).append(time.monotonic())
        return reply


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run(backend: str, db: Path | str, folder: Path, args: argparse.Namespace) -> None:
    relay = TimedRelay().start()
    extra = ("--smtp-url", relay.url, "--mail-from", "receipts@bench.example", "--smtp-retry-seconds", "1",
             "--flag-transactions-per-day", "0", "--workers", str(args.service_workers))
    posted: dict[str, float] = {}
    answered: list[float] = []
    lock = threading.Lock()
    try:
        with start_service(db_path=db, api_key=KEY, log_path=folder / f"{backend}.log", extra_args=extra) as service:
            headers = {"Authorization": f"Bearer {KEY}"}
            with httpx.Client(base_url=service.url, headers=headers) as probe:
                product = next(p for p in probe.get("/v1/catalog").json()["products"] if p["sku"] == "1005")
            line = {k: product[k] for k in ("sku", "name", "category", "unit_price")} | {"quantity": 1}
            body = {"account_id": ALICE, "store_id": "demo-store", "terminal_id": "till-1", "currency": "GBP",
                    "lines": [line], "tender": [{"method": "card", "amount": product["unit_price"]}],
                    "receipt_email": "alice@example.org"}
            per_till = [args.sales // args.tills + (1 if n < args.sales % args.tills else 0) for n in range(args.tills)]

            gap = args.tills / args.rate if args.rate > 0 else 0.0

            def till(count: int) -> None:
                with httpx.Client(base_url=service.url, headers=headers, timeout=30) as client:
                    due = time.monotonic()
                    for _ in range(count):
                        due += gap
                        time.sleep(max(0.0, due - time.monotonic()))  # pacing the load, not waiting for a result
                        sale_id = str(uuid.uuid4())
                        started = time.monotonic()
                        with lock:
                            posted[sale_id] = started
                        answer = client.post("/v1/sales", json=body, headers={"Idempotency-Key": sale_id})
                        answer.raise_for_status()
                        with lock:
                            answered.append(time.monotonic() - started)

            first = time.monotonic()
            threads = [threading.Thread(target=till, args=(count,)) for count in per_till]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            deadline = time.monotonic() + 60 + args.sales * 0.05
            while len(relay.accepted_at) < args.sales and time.monotonic() < deadline:
                time.sleep(0.05)
    finally:
        relay.stop()
    waits = [relay.accepted_at[f"<receipt.{sale_id}@bench.example>"][0] - started
             for sale_id, started in posted.items() if f"<receipt.{sale_id}@bench.example>" in relay.accepted_at]
    last = max((times[0] for times in relay.accepted_at.values()), default=first)
    duplicates = sum(n - 1 for n in Counter({k: len(v) for k, v in relay.accepted_at.items()}).values())
    rate = f"{args.rate:g}/s" if args.rate > 0 else "unpaced"
    print(f"{backend}: {len(waits)}/{args.sales} e-mails accepted ({args.tills} tills, {rate}, --workers {args.service_workers})")
    if waits:
        print(f"  sale → e-mail accepted  p50 {pct(waits, 0.5) * 1000:.0f} ms  p99 {pct(waits, 0.99) * 1000:.0f} ms"
              f"  max {max(waits) * 1000:.0f} ms")
        print(f"  sale answer            p50 {statistics.median(answered) * 1000:.1f} ms"
              f"  p99 {pct(answered, 0.99) * 1000:.1f} ms")
        print(f"  e-mails/s              {len(waits) / max(1e-9, last - first):.1f}")
    print(f"  duplicates             {duplicates}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=int, default=200)
    parser.add_argument("--tills", type=int, default=4)
    parser.add_argument("--rate", type=float, default=10.0, help="sales a second, all tills together (0: unpaced)")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--service-workers", type=int, default=1, metavar="N")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        if args.backend in ("sqlite", "both"):
            run("sqlite", folder / "loyalty.db", folder, args)
        if args.backend in ("postgresql", "both"):
            from tests.postgres_server import PostgresUnavailable, start_postgres

            try:
                server = start_postgres(durable=True)
            except PostgresUnavailable as error:
                print(f"postgresql: skipped: {str(error).splitlines()[0]}")
                return 0
            try:
                run("postgresql", server.create_database("bench_receipt_email"), folder, args)
            finally:
                server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
