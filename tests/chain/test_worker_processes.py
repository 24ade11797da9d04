"""``loyalty-service --workers 3``: three pre-forked processes on one socket and one database
(loyalty_service/worker_processes.py), on each backend: one line each on stderr and the one
"listening" line once all serve, one rate-limit budget whichever worker answers, a worker that dies
replaced while the service goes on answering, and every worker gone when the service stops."""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path

import httpx

from pos_core.embedded_service import start_service
from tests.conftest import TEST_API_KEY
from tests.security.at_once import at_once, outcomes
from tests.service.api_calls import identify
from tests.service.test_chain_security import add_key
from tests.waiting import wait_until

STARTED = re.compile(r"worker (\d) of 3 started \(pid (\d+)\)")


def started(log: Path) -> list[tuple[int, int]]:
    """(worker number, pid) for each worker started, in order."""
    return [(int(n), int(pid)) for n, pid in STARTED.findall(log.read_text())]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def one_connection_each(url: str, key: str) -> httpx.Client:
    """A client whose every request has a connection of its own (the service closes each after its
    answer), so the kernel may hand each to any worker."""
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}", "Connection": "close"}, timeout=15)


def test_three_workers_on_one_socket(service_db: Path | str, tmp_path: Path) -> None:
    log = tmp_path / "workers.log"
    with start_service(db_path=service_db, api_key=TEST_API_KEY, log_path=log,
                       extra_args=("--workers", "3")) as service:
        first = started(log)  # printed before the "listening" line
        assert sorted(n for n, _ in first) == [1, 2, 3] and len({pid for _, pid in first}) == 3
        with one_connection_each(service.url, add_key(service_db, "store-north", "till-2")) as till:
            misses = at_once([lambda n=n: identify(till, "phone", f"020 7946 07{n:02d}") for n in range(40)])
        assert outcomes(misses) == {(404, "unknown_customer"): 30, (429, "rate_limited"): 10}

        second = dict(first)[2]
        os.kill(second, signal.SIGKILL)
        replaced = wait_until(lambda: [pid for n, pid in started(log)[3:] if n == 2], timeout=10,
                              what="worker 2 replaced")
        assert f"worker 2 (pid {second}) exited with code -9; starting another" in log.read_text()
        with one_connection_each(service.url, TEST_API_KEY) as client:
            for _ in range(6):
                assert identify(client, "phone", "020 7946 0001").status_code == 200
        workers = [pid for _, pid in first if pid != second] + replaced
        assert all(alive(pid) for pid in workers)
    assert service.process.returncode == 0
    assert not any(alive(pid) for pid in workers)
