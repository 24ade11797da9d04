"""Everything a store's network, power and clock can do, at once, to three tills.

Three ``till-sim`` processes sell to the same customers through a proxy that refuses, delays,
hangs, answers 500 and 503, and drops replies after the service committed. Two of them are
SIGKILLed again and again (at start, mid-sale, just after a sale) and started again on the same
folder; the service is SIGKILLed once and started again on the same database; the third till runs
throughout under libfaketime, and its wall clock is stepped a day forward and then a day back
while it sells. Then the faults stop, the tills are told to stop selling (SIGTERM) and their own
senders must deliver everything (no forced drain), and a ``--sales 0`` run drains each folder.

Then: every sale a till printed as done is on the service exactly once, every sale a till wrote
reached it and nothing else did, each customer's balance is their opening balance plus the points
of their sales as the service recorded them, and no till has a sale waiting or set aside.

The figures go to stdout (``-s`` or ``-rA``) and to ``chaos-figures.json`` in the test's folder.
"""

from __future__ import annotations

import glob
import json
import os
import random
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from pos_core.embedded_service import RunningService, start_service
from pos_core.phone_number import parse_phone
from pos_core.till_sim import customer_phones
from tests.conftest import TEST_API_KEY
from tests.offline.fault_proxy import FaultProxy

PHONES_PREFIX = "0113 496 0"  # Ofcom's drama range for Leeds: rings nobody
CUSTOMERS = 6
KILLS = 6
MIN_SALES = 50  # done before the network heals
CHAOS_BOUND = 75.0  # seconds for the kills, the restart and the clock steps to happen
SETTLE_BOUND = 40.0  # seconds the tills' own senders get to deliver once the network heals
FAULTS = {"pass": 3, "refuse": 1, "delay": 1, "hang": 1, "error500": 1, "error503": 1, "drop_reply": 2}


def libfaketime() -> str:
    """Debian's libfaketime; ./dev installs it and then sets LOYALTY_REQUIRE_FAKETIME (CI too)."""
    found = sorted(glob.glob("/usr/lib/*/faketime/libfaketime.so.1"))
    if found:
        return found[0]
    message = "libfaketime is not installed (Debian's faketime package; ./dev test installs it)"
    if os.environ.get("LOYALTY_REQUIRE_FAKETIME"):
        pytest.fail(message)
    pytest.skip(message)


class TillProcess:
    """One ``till-sim`` process; its JSON lines are collected as they come."""

    def __init__(self, name: str, data_dir: Path, proxy_url: str, log: Path, *extra: str,
                 env: dict[str, str] | None = None, changed: threading.Condition) -> None:
        self.name = name
        self.events: list[dict] = []
        self._changed = changed
        with open(log, "a") as stderr:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "pos_core.till_sim", "--api-url", proxy_url, "--api-key", TEST_API_KEY,
                 "--data-dir", str(data_dir), "--phones-prefix", PHONES_PREFIX, "--customers", str(CUSTOMERS),
                 "--terminal-prefix", f"till-{name}", *extra],
                stdout=subprocess.PIPE, stderr=stderr, stdin=subprocess.DEVNULL, text=True,
                env={**os.environ, **(env or {})},
            )
        self._reader = threading.Thread(target=self._read, name=f"till-{name}-stdout", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._changed:
                self.events.append(json.loads(line))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def count(self, kind: str) -> int:
        return sum(event["event"] == kind for event in self.events)

    def kill(self) -> None:
        self.process.kill()  # SIGKILL: no cleanup, no flush, no goodbye
        self.process.wait(10)
        self._reader.join(10)

    def stop(self) -> None:
        """SIGTERM: stop selling, deliver, summarise (once it handles SIGTERM, which it says)."""
        deadline = time.monotonic() + 30
        with self._changed:
            while not self.count("started"):
                assert self.process.poll() is None, f"till {self.name} exited before it started"
                assert time.monotonic() < deadline, f"till {self.name} did not start within 30 s"
                self._changed.wait(0.2)
        self.process.terminate()

    def finish(self, timeout: float) -> dict:
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"till {self.name} did not finish within {timeout:.0f} s") from None
        self._reader.join(10)
        summaries = [event for event in self.events if event["event"] == "summary"]
        assert summaries, f"till {self.name} exited with {self.process.returncode} and no summary"
        return summaries[-1]


class Chaos:
    """The run's tills and counts; ``changed`` is notified at every line a till prints."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.changed = threading.Condition()
        self.runs: list[TillProcess] = []
        self.kills = 0
        self.service_restarts = 0

    def done(self) -> dict[str, dict]:
        return {event["sale_id"]: event for run in self.runs for event in run.events if event["event"] == "done"}


def start_till(chaos: Chaos, name: str, proxy: FaultProxy, *extra: str, env: dict[str, str] | None = None) -> TillProcess:
    run = TillProcess(name, chaos.tmp_path / f"till-{name}", proxy.url, chaos.tmp_path / f"till-{name}.log", *extra,
                      env=env, changed=chaos.changed)
    chaos.runs.append(run)
    return run


def api_for(service: RunningService) -> httpx.Client:
    return httpx.Client(base_url=service.url, headers={"Authorization": f"Bearer {service.api_key}"}, timeout=10)


def enrol_customers(api: httpx.Client) -> dict[str, str]:
    """The run's customers, enrolled straight on the service (not through the proxy): phone -> account."""
    terms = api.get("/v1/program").json()["terms_version"]
    accounts = {}
    for number, phone in enumerate(customer_phones(PHONES_PREFIX, CUSTOMERS)):
        answer = api.post("/v1/accounts", json={
            "phone": parse_phone(phone, "GB").e164, "name": f"Chaos Customer{number}",
            "consent": {"terms_version": terms, "marketing": False},
        })
        assert answer.status_code in (200, 201), answer.text
        accounts[phone] = answer.json()["account_id"]
    return accounts


def balances(api: httpx.Client, accounts: dict[str, str]) -> dict[str, int]:
    return {account: api.get(f"/v1/accounts/{account}").json()["balance"] for account in accounts.values()}


class SteppedClock:
    """A till's wall clock under libfaketime: the offset in a file it reads at every call. Its
    monotonic clock is left alone, as when NTP or a person steps a real till's clock. (With that,
    libfaketime 0.9.10 makes time.sleep fail with EINVAL; the till's asyncio code never calls it.)"""

    def __init__(self, path: Path, preload: str) -> None:
        self.path = path
        self.env = {"LD_PRELOAD": preload, "FAKETIME_TIMESTAMP_FILE": str(path), "FAKETIME_NO_CACHE": "1",
                    "FAKETIME_DONT_FAKE_MONOTONIC": "1"}
        self.expected: timedelta | None = None  # a step made, not yet seen in a sale
        self.steps = 0  # steps seen
        self.seen_at = 0  # the till's sales when the last step was seen
        self._write("+0")

    def step(self, to: str, offset: timedelta) -> None:
        self._write(to)
        self.expected = offset

    def seen(self, sales: list[dict]) -> bool:
        """The last sale was stamped with the stepped clock (to the hour): the step took."""
        stamped = datetime.fromisoformat(sales[-1]["completed_at"].replace("Z", "+00:00")) if sales else None
        if self.expected is None or stamped is None:
            return False
        if abs(stamped - (datetime.now(UTC) + self.expected)) >= timedelta(hours=1):
            return False
        self.expected, self.steps, self.seen_at = None, self.steps + 1, len(sales)
        return True

    def _write(self, offset: str) -> None:
        # Whole or not at all: the till reads the file at every clock call.
        spare = self.path.with_suffix(".new")
        spare.write_text(offset + "\n")
        os.replace(spare, self.path)


def test_tills_through_faults_kills_a_service_restart_and_clock_steps(tmp_path: Path) -> None:
    preload = libfaketime()
    rng = random.Random(1212)
    chaos = Chaos(tmp_path)
    db_path = tmp_path / "service" / "loyalty.db"
    service = start_service(db_path=db_path, api_key=TEST_API_KEY, log_path=tmp_path / "service" / "service.log")
    proxy = FaultProxy("127.0.0.1", int(service.url.rsplit(":", 1)[1]), seed=12, delay=1.2)
    try:
        api = api_for(service)
        accounts = enrol_customers(api)
        before = balances(api, accounts)

        proxy.set_faults(**FAULTS)
        clock = SteppedClock(tmp_path / "clock-offset", preload)  # till c's
        steps = [("+1d", timedelta(days=1)), ("+0", timedelta(0))]  # a day forward, then a day back
        selling = ("--sales", "100000", "--drain-timeout", "2", "--settle-timeout", str(SETTLE_BOUND),
               "--start-timeout", "60", "--backoff-longest", "2")
        clock_till = start_till(chaos, "c", proxy, *selling, env=clock.env)
        killable = {name: start_till(chaos, name, proxy, *selling, "--seed", str(rng.randrange(1000)))
                    for name in ("a", "b")}

        def killed_when(run: TillProcess) -> Callable[[], bool]:
            # As it starts (draining, loading the store, identifying), mid-sale, or just after a sale.
            kind, nth = rng.choice([("started", 1), ("begin", 1), ("begin", 2), ("done", 1), ("begin", 3)])
            return lambda: run.count(kind) >= nth

        kill_at = {name: killed_when(run) for name, run in killable.items()}
        chaos_started = time.monotonic()

        def chaos_over() -> bool:
            return (chaos.kills >= KILLS and chaos.service_restarts == 1 and clock.steps == 2
                    and len(chaos.done()) >= MIN_SALES)

        while not chaos_over():
            assert time.monotonic() - chaos_started < CHAOS_BOUND, (
                f"the chaos did not happen in {CHAOS_BOUND:.0f} s: kills {chaos.kills}, restarts"
                f" {chaos.service_restarts}, clock steps {clock.steps}, done {len(chaos.done())}; see {tmp_path}/till-*.log"
            )
            with chaos.changed:
                chaos.changed.wait(0.2)  # a till printed something, or look again
            for name, run in list(killable.items()):
                assert run.process.poll() is None, f"till {name} died by itself; see {tmp_path}/till-{name}.log"
                if chaos.kills < KILLS and kill_at[name]():
                    time.sleep(rng.uniform(0, 0.3))  # land anywhere in what it is doing now
                    run.kill()
                    chaos.kills += 1
                    killable[name] = start_till(chaos, name, proxy, *selling, "--seed", str(rng.randrange(1000)))
                    kill_at[name] = killed_when(killable[name])
            assert clock_till.process.poll() is None, f"till c died; see {tmp_path}/till-c.log"
            if chaos.service_restarts == 0 and len(chaos.done()) >= 12:
                service.process.kill()  # SIGKILL the service mid-traffic
                service.process.wait(10)
                service = start_service(db_path=db_path, api_key=TEST_API_KEY,
                                        log_path=tmp_path / "service" / "service.log")
                proxy.set_upstream("127.0.0.1", int(service.url.rsplit(":", 1)[1]))
                chaos.service_restarts += 1
            # The clock: a step once till c has sold three sales since the last one took (which a
            # sale stamped with the new time shows).
            sold_by_c = [event for event in clock_till.events if event["event"] == "done"]
            if clock.expected is None and steps and len(sold_by_c) >= clock.seen_at + 3:
                clock.step(*steps.pop(0))
            clock.seen(sold_by_c)

        # The network heals; the tills stop selling and their own senders deliver (no forced drain).
        counts = Counter(proxy.counts)
        proxy.set_faults(**{"pass": 1})
        healed = time.monotonic()
        tills = {"c": clock_till, **killable}
        for run in tills.values():
            run.stop()
        settled = {name: run.finish(SETTLE_BOUND + 30) for name, run in tills.items()}
        time_to_drain = time.monotonic() - healed
        for name, summary in settled.items():
            assert (summary["pending"], summary["set_aside"]) == (0, 0), (
                f"till {name} still had sales waiting {time_to_drain:.0f} s after the network healed"
                + (" (its wall clock was stepped a day back: retry waits on the wall clock?)" if name == "c" else "")
                + f": {summary}"
            )
        for name in tills:  # and a drain run on each folder finds nothing left
            drained = start_till(chaos, name, proxy, "--sales", "0", "--drain-timeout", "30").finish(60)
            assert (drained["pending"], drained["set_aside"]) == (0, 0), drained

        api = api_for(service)
        done = chaos.done()
        recorded: dict[str, str] = {}
        for outbox in tmp_path.glob("till-*/till/*/outbox.db"):
            till = sqlite3.connect(outbox)
            assert till.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            assert till.execute("SELECT COUNT(*) FROM outbox").fetchone() == (0,), f"{outbox}: sales not sent"
            recorded |= dict(till.execute("SELECT sale_id, account_id FROM completed_sales WHERE account_id IS NOT NULL"))
            till.close()
        lost = sorted(set(done) - set(recorded))
        assert not lost, f"sales printed done but not in any till's outbox: {lost}"

        credited: Counter[str] = Counter()
        missing = []
        for sale_id, account_id in recorded.items():
            answer = api.get(f"/v1/sales/{sale_id}")
            if answer.status_code != 200:
                missing.append(sale_id)
                continue
            assert answer.json()["account_id"] == account_id
            credited[account_id] += answer.json()["points_earned"]
        ledger = sqlite3.connect(db_path)
        doubled = ledger.execute(
            "SELECT sale_id FROM ledger WHERE kind = 'earn' AND sale_id IS NOT NULL GROUP BY sale_id HAVING COUNT(*) > 1"
        ).fetchall()
        on_service = {row[0] for row in ledger.execute("SELECT sale_id FROM sales")}
        ledger.close()
        after = balances(api, accounts)
        figures = {
            "sales_done": len(done),
            "sales_recorded_by_tills": len(recorded),
            "sales_on_service": len(on_service),
            "sold_to_cached_customers": sum(event["provisional"] for event in done.values()),
            "sold_on_estimates": sum(event["estimated"] for event in done.values()),
            "faults": {kind: count for kind, count in sorted(counts.items()) if kind != "pass"},
            "requests_passed": counts["pass"],
            "start_retries": sum(run.count("start_retry") for run in chaos.runs),
            "kills": chaos.kills,
            "clock_steps": clock.steps,
            "service_restarts": chaos.service_restarts,
            "lost": len(missing),
            "doubled": len(doubled),
            "time_to_drain_s": round(time_to_drain, 1),
        }
        print("chaos figures:", json.dumps(figures))
        (tmp_path / "chaos-figures.json").write_text(json.dumps(figures, indent=2))

        assert not missing, f"sales a till recorded that never reached the service: {missing}; {figures}"
        assert doubled == [], f"sales credited twice: {doubled}; {figures}"
        assert on_service == set(recorded), f"the service has sales no till made: {on_service - set(recorded)}"
        for phone, account_id in accounts.items():
            assert after[account_id] == before[account_id] + credited[account_id], (phone, figures)
        # The faults were met, and the tills sold through them as registers do.
        assert sum(figures["faults"].values()) >= 30 and figures["start_retries"] > 0, figures
        assert figures["sold_to_cached_customers"] > 0 and figures["sold_on_estimates"] > 0, figures
        assert all(figures["faults"].get(kind) for kind in FAULTS if kind != "pass"), figures
    finally:
        for run in chaos.runs:
            if run.process.poll() is None:
                run.kill()
        proxy.close()
        service.stop()
