"""Clients for the service tests: one service per module for tests that only read, and the
function-scoped ``live_service`` (tests/conftest.py) for tests that change data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pos_core.embedded_service import RunningService, start_service
from tests.conftest import TEST_API_KEY


def client_for(service: RunningService) -> httpx.Client:
    return httpx.Client(base_url=service.url, headers={"Authorization": f"Bearer {TEST_API_KEY}"}, timeout=10)


@pytest.fixture(scope="module")
def reading_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    """A demo-store service shared by a module's tests; they must not change its data."""
    folder = tmp_path_factory.mktemp("reading-service")
    service = start_service(db_path=folder / "loyalty.db", api_key=TEST_API_KEY, log_path=folder / "service.log")
    try:
        yield service
    finally:
        service.stop()


@pytest.fixture(scope="module")
def reader(reading_service: RunningService) -> Iterator[httpx.Client]:
    with client_for(reading_service) as client:
        yield client


@pytest.fixture
def api(live_service: RunningService) -> Iterator[httpx.Client]:
    """A client of this test's own service, free to change its data."""
    with client_for(live_service) as client:
        yield client


@pytest.fixture
def live_db(tmp_path: Path, live_service: RunningService) -> Path:
    """The SQLite file behind ``live_service``, to check what was stored."""
    return tmp_path / "service" / "loyalty.db"
