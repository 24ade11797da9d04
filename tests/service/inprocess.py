"""The reference service in this process (FastAPI's TestClient), for tests that move its clock."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi.testclient import TestClient

from loyalty_service.app import create_app
from loyalty_service.database import open_database, write_transaction
from loyalty_service.demo_store import seed
from loyalty_service.program import Program, load_program
from tests.conftest import TEST_API_KEY


@contextmanager
def demo_service(db: Path | str, program: Program | None = None, api_key: str = TEST_API_KEY) -> Iterator[TestClient]:
    """The demo store (with ``program``, the demo's by default) in ``db``: a SQLite path or a
    PostgreSQL URL."""
    program = program or load_program()
    database = open_database(db)
    database.create_schema()
    app = create_app(database, [api_key], program, identify_min_seconds=0)
    with database.connection() as conn, write_transaction(conn):
        seed(conn, program)
    with TestClient(app, headers={"Authorization": f"Bearer {api_key}"}) as client:
        yield client
