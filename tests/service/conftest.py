"""Clients for the service tests: one service per module for tests that only read, and the
function-scoped ``live_service`` for tests that change data.

Every test that reaches the service's database runs twice: on a SQLite file and on PostgreSQL
(``[sqlite]`` / ``[postgresql]`` in its id). PostgreSQL is a private server made for this run
(tests/postgres_server.py); each test gets an empty database of its own. Without PostgreSQL
installed those runs are skipped, unless ``LOYALTY_REQUIRE_POSTGRES`` is set (``./dev test`` sets
it and installs PostgreSQL), when they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pos_core.embedded_service import RunningService, start_service
from tests.conftest import TEST_API_KEY
from tests.postgres_server import PostgresServer

BACKENDS = ("sqlite", "postgresql")


def client_for(service: RunningService) -> httpx.Client:
    return httpx.Client(base_url=service.url, headers={"Authorization": f"Bearer {TEST_API_KEY}"}, timeout=10)


def fresh_database(backend: str, folder: Path, request: pytest.FixtureRequest) -> Path | str:
    """An empty database: a SQLite file in ``folder``, or a new PostgreSQL database's URL."""
    if backend == "sqlite":
        return folder / "loyalty.db"
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.create_database(f"t_{uuid.uuid4().hex[:16]}")


@pytest.fixture(params=BACKENDS)
def service_db(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """This test's own empty database, on each backend in turn."""
    return fresh_database(request.param, tmp_path / "service", request)


@pytest.fixture(scope="module", params=BACKENDS)
def reading_service(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    """A demo-store service shared by a module's tests; they must not change its data."""
    folder = tmp_path_factory.mktemp("reading-service")
    service = start_service(db_path=fresh_database(request.param, folder, request), api_key=TEST_API_KEY,
                            log_path=folder / "service.log")
    try:
        yield service
    finally:
        service.stop()


@pytest.fixture(scope="module")
def reader(reading_service: RunningService) -> Iterator[httpx.Client]:
    with client_for(reading_service) as client:
        yield client


@pytest.fixture
def live_service(service_db: Path | str, tmp_path: Path) -> Iterator[RunningService]:
    """A real reference loyalty service on loopback, with the demo store, in this test's own
    database (each backend in turn)."""
    service = start_service(db_path=service_db, api_key=TEST_API_KEY, log_path=tmp_path / "service" / "service.log")
    try:
        yield service
    finally:
        service.stop()


@pytest.fixture
def api(live_service: RunningService) -> Iterator[httpx.Client]:
    """A client of this test's own service, free to change its data."""
    with client_for(live_service) as client:
        yield client


@pytest.fixture
def live_db(service_db: Path | str, live_service: RunningService) -> Path | str:
    """The database behind ``live_service`` (a SQLite path or a PostgreSQL URL), to check what
    was stored: see stored.py."""
    return service_db
