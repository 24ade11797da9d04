"""A chain's services for the tests: several service processes on one database, as several hosts
behind a load balancer run them. One set per backend for a whole module (``chain``): three
processes on one PostgreSQL database, two on one SQLite file, each on a port of its own, started
with the demo store (seeded once, by the first).

Tests share the set, so each makes what it changes its own: a new till key (its own rate-limit
budgets), balances compared before and after.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from pos_core.embedded_service import RunningService, start_service
from tests.conftest import TEST_API_KEY
from tests.service.conftest import fresh_database

PROCESSES = {"sqlite": 2, "postgresql": 3}


@dataclass
class Chain:
    backend: str
    db: Path | str
    services: list[RunningService]

    def clients(self, stack: ExitStack, key: str = TEST_API_KEY) -> list[httpx.Client]:
        """A client of each process, with ``key``."""
        return [stack.enter_context(httpx.Client(base_url=service.url, headers={"Authorization": f"Bearer {key}"},
                                                 timeout=15)) for service in self.services]


@pytest.fixture(scope="module", params=list(PROCESSES))
def chain(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chain]:
    folder = tmp_path_factory.mktemp(f"chain-{request.param}")
    db = fresh_database(request.param, folder, request)
    services: list[RunningService] = []
    try:
        for n in range(PROCESSES[request.param]):
            services.append(start_service(db_path=db, api_key=TEST_API_KEY, log_path=folder / f"service-{n}.log"))
        yield Chain(request.param, db, services)
    finally:
        for service in services:
            service.stop()


# A test's own empty database on each backend (tests/service/conftest.py), for the ``--workers`` test.
from tests.service.conftest import service_db  # noqa: E402, F401
