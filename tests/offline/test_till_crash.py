"""Tills killed with SIGKILL at random moments mid-sale, then restarted: nothing lost, nothing doubled."""

from __future__ import annotations

import json
import random
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from pos_core.embedded_service import RunningService

KILLS = 20


def till_sim(service: RunningService, data_dir: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "pos_core.till_sim", "--api-url", service.url, "--api-key", service.api_key,
         "--data-dir", str(data_dir), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )


def events_until_killed(process: subprocess.Popen[str], kind: str, nth: int, jitter: float) -> list[dict]:
    """Its events, once it was SIGKILLed ``jitter`` seconds after printing its ``nth`` ``kind`` event
    (so the kill lands anywhere in the sale under way: its quote, its outbox write, its receipt)."""
    events: list[dict] = []
    seen = threading.Condition()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            with seen:
                events.append(json.loads(line))
                seen.notify_all()
        with seen:
            seen.notify_all()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    with seen:
        reached = seen.wait_for(
            lambda: sum(e["event"] == kind for e in events) >= nth or process.poll() is not None, timeout=60
        )
    assert reached and process.poll() is None, f"till-sim ended or stalled before its {nth}th {kind}: {events[-3:]}"
    time.sleep(jitter)  # where in the sale the kill lands, not a wait for anything
    process.kill()  # SIGKILL: no cleanup, no flush, no goodbye
    process.wait()
    reader.join(5)
    return events


def test_killed_tills_lose_nothing_and_double_nothing(live_service: RunningService, tmp_path: Path) -> None:
    data_dir = tmp_path / "tills"
    rng = random.Random(2026)
    done: dict[str, str] = {}
    for run in range(KILLS):
        process = till_sim(live_service, data_dir, "--tills", "2", "--sales", "8", "--seed", str(run),
                           "--drain-timeout", "3")
        kind, nth = rng.choice([("started", 1), ("begin", 1), ("begin", 3), ("done", 2), ("begin", 6)])
        for event in events_until_killed(process, kind, nth, jitter=rng.uniform(0, 0.2)):
            if event["event"] == "done":
                done[event["sale_id"]] = event["account_id"]
    assert len(done) >= 20, "the kills came too early to test anything"

    final = till_sim(live_service, data_dir, "--tills", "2", "--sales", "0", "--drain-timeout", "30")
    out, _ = final.communicate(timeout=120)
    summary = json.loads(out.strip().splitlines()[-1])
    assert (summary["pending"], summary["set_aside"]) == (0, 0), summary

    api = httpx.Client(base_url=live_service.url, headers={"Authorization": f"Bearer {live_service.api_key}"})
    for sale_id in done:
        assert api.get(f"/v1/sales/{sale_id}").status_code == 200, sale_id

    # Every sale a till recorded reached the service, even the ones killed before "done" was printed.
    recorded: set[str] = set()
    for outbox in data_dir.glob("till/*/outbox.db"):
        till = sqlite3.connect(outbox)
        assert till.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        recorded |= {row[0] for row in till.execute("SELECT sale_id FROM completed_sales WHERE account_id IS NOT NULL")}
        assert till.execute("SELECT COUNT(*) FROM outbox").fetchone() == (0,)
    assert set(done) <= recorded

    service = sqlite3.connect(Path(live_service.log_path).parent / "loyalty.db")
    on_service = {row[0] for row in service.execute("SELECT sale_id FROM sales")}
    assert recorded <= on_service
    assert service.execute(
        "SELECT COUNT(*) FROM (SELECT sale_id FROM ledger WHERE kind = 'earn' GROUP BY sale_id HAVING COUNT(*) > 1)"
    ).fetchone() == (0,)
    # The simulated customers started at zero: their balances are exactly their sales' points.
    for account_id, in service.execute("SELECT DISTINCT account_id FROM sales WHERE store_id = 'sim-store'"):
        earned = sum(
            json.loads(answer)["points_earned"]
            for answer, in service.execute("SELECT answer FROM sales WHERE account_id = ?", (account_id,))
        )
        assert api.get(f"/v1/accounts/{account_id}").json()["balance"] == earned
