"""A job the service runs now and then every hour, in a thread of its own, until it stops:
the retention of events (event_retention.py) and of sales' lines (sale_line_retention.py)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from loyalty_service.database import Connection, Database

EVERY_SECONDS = 3600.0

log = logging.getLogger("loyalty_service.hourly_job")


def run_hourly(
    database: Database, name: str, job: Callable[[Connection], int], done: str, stopping: Callable[[], bool]
) -> threading.Thread:
    """Call ``job`` with a borrowed connection now, then every EVERY_SECONDS, until ``stopping()``;
    ``done`` is logged with the count ``job`` returns (``%d``) when it is not 0."""

    def loop() -> None:
        while not stopping():
            try:
                with database.connection() as conn:
                    count = job(conn)
                if count:
                    log.info(done, count)
            except Exception as error:  # noqa: BLE001 - one failed pass must not end the job; next hour
                log.warning("%s failed: %s", name, error)
            next_pass = time.monotonic() + EVERY_SECONDS
            while time.monotonic() < next_pass and not stopping():
                time.sleep(1.0)

    thread = threading.Thread(target=loop, name=name, daemon=True)
    thread.start()
    return thread
