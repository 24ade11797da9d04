"""The reference service in this process (FastAPI's TestClient), for tests that move its clock."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi.testclient import TestClient

from loyalty_service.app import create_app
from loyalty_service.database import connect, write_transaction
from loyalty_service.demo_store import seed
from loyalty_service.program import load_program
from tests.conftest import TEST_API_KEY


@contextmanager
def demo_service(db_path: Path) -> Iterator[TestClient]:
    program = load_program()
    app = create_app(db_path, [TEST_API_KEY], program, identify_min_seconds=0)
    conn = connect(db_path)
    try:
        with write_transaction(conn):
            seed(conn, program)
    finally:
        conn.close()
    with TestClient(app, headers={"Authorization": f"Bearer {TEST_API_KEY}"}) as client:
        yield client
