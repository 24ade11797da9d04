"""Where the service keeps its data: a SQLite file or a PostgreSQL database, behind one interface.

``--db`` takes either; ``open_database`` picks the backend. The service's modules write their SQL
once, in the dialect both accept (``?`` parameters, ``ON CONFLICT DO NOTHING``), and get rows that
index by name or position on both. Every write runs in ``write_transaction``, which serialises
writers on both backends (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: a transaction-scoped advisory
lock), so two tills sending the same sale id at once are served one after the other and the second
sees the first's row.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Literal, Protocol

Dialect = Literal["sqlite", "postgresql"]

URL_SCHEMES = ("postgresql://", "postgres://")


class DatabaseError(RuntimeError):
    """A database this service cannot use (another schema version, unreachable, not a database)."""


class IntegrityError(Exception):
    """A write a constraint refused (a unique key taken, a check failed), on either backend."""


class Row(Protocol):
    def __getitem__(self, key: int | str) -> Any: ...
    def keys(self) -> Sequence[str]: ...


class Cursor(Protocol):
    rowcount: int

    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    """One connection, used by one thread at a time; outside ``write_transaction`` each statement
    commits on its own."""

    dialect: Dialect

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor: ...
    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...
    def write_transaction(self, scope: str | None = None) -> AbstractContextManager[None]: ...


class Database(Protocol):
    """The service's store. ``connection()`` lends a connection for one request or job."""

    dialect: Dialect
    name: str  # for messages and logs: the file, or the URL without its password

    def create_schema(self) -> None: ...
    def connection(self) -> AbstractContextManager[Connection]: ...
    def close(self) -> None: ...


def is_database_url(target: str | Path) -> bool:
    return isinstance(target, str) and target.startswith(URL_SCHEMES)


def database_target(text: str) -> Path | str:
    """What ``--db`` says: a ``postgresql://`` URL as given, anything else a SQLite file path."""
    return text if is_database_url(text) else Path(text)


def open_database(target: str | Path, *, pool_size: int = 20) -> Database:
    """A SQLite file (a path) or a PostgreSQL database (a ``postgresql://`` URL). Nothing is
    touched until ``create_schema`` or ``connection`` is called."""
    if is_database_url(target):
        from loyalty_service.postgres_database import PostgresDatabase

        return PostgresDatabase(str(target), pool_size=pool_size)
    from loyalty_service.sqlite_database import SqliteDatabase

    return SqliteDatabase(Path(target))


@contextmanager
def write_transaction(conn: Connection, scope: str | None = None) -> Iterator[Connection]:
    """One serialised write transaction: committed at the end, rolled back on any error.
    ``scope``: bookkeeping that touches nothing else, such as a key's rate-limit counts: on
    PostgreSQL serialised only with transactions of the same scope; on SQLite (one writer anyway)
    committed without an fsync of its own, the next full commit making it durable."""
    with conn.write_transaction(scope):
        yield conn
