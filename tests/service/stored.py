"""What the service stored, read straight from its database (SQLite file or PostgreSQL), for tests
that check rows the API does not show."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg

from loyalty_service.database import is_database_url, open_database


def rows(db: Path | str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The rows a query gives, as tuples (SQL as the service writes it: ``?`` parameters)."""
    database = open_database(db, pool_size=2)
    try:
        with database.connection() as conn:
            return [tuple(row) for row in conn.execute(sql, params).fetchall()]
    finally:
        database.close()


def execute(db: Path | str, sql: str, params: tuple[Any, ...] = ()) -> None:
    if isinstance(db, Path):
        db.parent.mkdir(parents=True, exist_ok=True)
    database = open_database(db, pool_size=2)
    try:
        with database.connection() as conn:
            conn.execute(sql, params)
    finally:
        database.close()


def everything_stored(db: Path | str) -> bytes:
    """Every byte the database holds for the service: the SQLite file with its WAL, or every row of
    every table on PostgreSQL as text. For "this secret is never stored" checks."""
    if not is_database_url(db):
        path = Path(db)
        return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
    with psycopg.connect(str(db)) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")]
        text = [str(row[0]) for table in tables for row in conn.execute(f'SELECT CAST(t AS text) FROM "{table}" t')]
    return "\n".join(text).encode()
