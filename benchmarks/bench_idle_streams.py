"""The service's CPU with many idle event streams open (``GET /v1/events``) from one key.

    .venv/bin/python benchmarks/bench_idle_streams.py [--streams 100] [--seconds 10] [--postgres URL]

Starts the demo store's service on a fresh SQLite file (or the PostgreSQL database given), opens
the streams (half on one account, half on every account, as tills and a head-office screen would),
waits until the service has sent every opening frame, then measures the service process's CPU time
(user + system, from /proc) over the window. Prints the figures, the machine's core count and a
JSON summary. A figure, not a test: the machine's other load shows in it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)  # the service child process imports loyalty_service from this checkout

from pos_core.embedded_service import start_service  # noqa: E402

KEY = "bench-idle-streams-key-0123456789"
ALICE_ID = "acc_7f3a9c2e51d0"  # the demo store's first customer


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def hold_stream(url: str, account_id: str | None, opened: threading.Semaphore, stop: threading.Event) -> None:
    params = {"account_id": account_id} if account_id else None
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {KEY}"}, timeout=None) as client:
        with client.stream("GET", "/v1/events", params=params) as response:
            if response.status_code != 200:
                print(f"stream refused: {response.status_code} {response.read()!r}", file=sys.stderr)
                opened.release()
                return
            lines = response.iter_lines()
            next(lines)  # retry: ...
            opened.release()
            while not stop.is_set():
                try:
                    next(lines)
                except (StopIteration, httpx.HTTPError):
                    return


def measure(db: Path | str, streams: int, seconds: float) -> dict[str, float]:
    with start_service(db_path=db, api_key=KEY, extra_args=(
        "--events-streams-per-key", str(streams), "--events-keepalive", "15",
    )) as service:
        opened, stop = threading.Semaphore(0), threading.Event()
        threads = [threading.Thread(target=hold_stream, args=(service.url, ALICE_ID if n % 2 else None, opened, stop),
                                    daemon=True) for n in range(streams)]
        for thread in threads:
            thread.start()
        for _ in threads:
            if not opened.acquire(timeout=60):
                raise SystemExit("the streams did not open within 60 s")
        time.sleep(1.0)  # let the openings settle
        pid = service.process.pid
        began_cpu, began = cpu_seconds(pid), time.monotonic()
        time.sleep(seconds)
        used, elapsed = cpu_seconds(pid) - began_cpu, time.monotonic() - began
        stop.set()
    return {"streams": streams, "seconds": round(elapsed, 1), "cpu_seconds": round(used, 2),
            "cores_used": round(used / elapsed, 3), "cores": os.cpu_count() or 0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--postgres", metavar="URL", help="an empty PostgreSQL database instead of SQLite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        figures = measure(args.postgres or Path(folder) / "loyalty.db", args.streams, args.seconds)
    print(f"{figures['streams']} idle streams for {figures['seconds']} s: the service used "
          f"{figures['cpu_seconds']} s of CPU, {figures['cores_used']:.1%} of one core ({figures['cores']} cores here)")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
