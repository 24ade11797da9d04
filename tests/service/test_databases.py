"""The two backends behind ``--db``: the same tables, the same rows, the same refusals; and what
only PostgreSQL needs (placeholders, a pool that survives a restarted server, one schema made once
when services start together)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psycopg
import pytest

from loyalty_service.database import IntegrityError, open_database, write_transaction
from loyalty_service.postgres_database import display_url, to_pyformat
from loyalty_service.schema import SCHEMA
from pos_core.embedded_service import RunningService, start_service
from tests.conftest import TEST_API_KEY
from tests.postgres_server import PostgresServer
from tests.service.api_calls import ALICE_ID, balance, line, post_sale, sale_body


def columns(db: Path | str) -> dict[str, list[str]]:
    """Each table's columns, in order, as the backend reports them."""
    database = open_database(db)
    try:
        database.create_schema()
        with database.connection() as conn:
            if conn.dialect == "sqlite":
                tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"
                                                     " AND name NOT LIKE 'sqlite_%'")]
                return {t: [r["name"] for r in conn.execute(f"PRAGMA table_info({t})")] for t in tables}
            found: dict[str, list[str]] = {}
            for row in conn.execute("SELECT table_name, column_name FROM information_schema.columns"
                                    " WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"):
                found.setdefault(row[0], []).append(row[1])
            return found
    finally:
        database.close()


def test_both_backends_make_the_same_tables_and_columns(tmp_path: Path, postgres: PostgresServer) -> None:
    on_sqlite = columns(tmp_path / "l.db")
    on_postgres = columns(postgres.create_database("same_tables"))
    assert set(on_sqlite) == set(on_postgres) and "ledger" in on_sqlite and len(on_sqlite) == SCHEMA.count("CREATE TABLE")
    for table, names in on_sqlite.items():
        # PostgreSQL has no implicit rowid: the tables listed "in the order recorded" get one.
        assert [n for n in on_postgres[table] if n != "rowid"] == names, table
    assert "rowid" in on_postgres["sales"] and "rowid" in on_postgres["sale_returns"]


def test_a_chain_may_keep_the_tables_in_a_schema_of_their_own(postgres: PostgresServer) -> None:
    url = postgres.create_database("shared_db")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA loyalty")
        conn.execute("CREATE TABLE public.someone_elses (id int)")
    in_schema = columns(url + "?options=-csearch_path%3Dloyalty")
    assert "ledger" in in_schema and "someone_elses" not in in_schema
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'loyalty'"
                            ).fetchone() == (len(in_schema),)


def test_rows_read_by_name_and_position_and_sums_are_whole_numbers(service_db: Path | str) -> None:
    database = open_database(service_db)
    database.create_schema()
    try:
        with database.connection() as conn, write_transaction(conn):
            conn.execute("INSERT INTO accounts (account_id, name, phone, created_at) VALUES (?, ?, ?, ?)",
                         ("acc_1", "A B", "+442079460001", "2026-01-01T00:00:00Z"))
            conn.executemany("INSERT INTO ledger (account_id, delta, kind, created_at) VALUES (?, ?, ?, ?)",
                             [("acc_1", 9_000_000_000, "opening", "x"), ("acc_1", -1, "redeem", "y")])
        with database.connection() as conn:
            row = conn.execute("SELECT COALESCE(SUM(delta), 0) AS balance, COUNT(*) AS n FROM ledger"
                               " WHERE account_id = ? AND created_at LIKE '%'", ("acc_1",)).fetchone()
            assert (row["balance"], row[1], dict(row)) == (8_999_999_999, 2, {"balance": 8_999_999_999, "n": 2})
            assert type(row["balance"]) is int  # PostgreSQL's SUM is numeric; money and points stay int
    finally:
        database.close()


def test_a_refused_write_is_the_same_error_and_rolls_back_on_both(service_db: Path | str) -> None:
    database = open_database(service_db)
    database.create_schema()
    try:
        with database.connection() as conn:
            insert = "INSERT INTO accounts (account_id, name, phone, created_at) VALUES (?, ?, ?, 'x')"
            conn.execute(insert, ("acc_1", "A", "+442079460001"))
            with pytest.raises(IntegrityError), write_transaction(conn):
                conn.execute(insert, ("acc_2", "B", "+442079460002"))
                conn.execute(insert, ("acc_3", "C", "+442079460001"))  # the phone is taken
            assert [tuple(r) for r in conn.execute("SELECT account_id FROM accounts ORDER BY 1")] == [("acc_1",)]
            with pytest.raises(IntegrityError):
                conn.execute("INSERT INTO ledger (account_id, delta, kind, created_at) VALUES ('acc_1', 1, 'gift', 'x')")
    finally:
        database.close()


def test_placeholders_become_psycopg_ones_and_percent_signs_stay_literal() -> None:
    assert to_pyformat("SELECT a FROM t WHERE b = ? AND c LIKE 'x%' AND d = '?' AND e = ?") == (
        "SELECT a FROM t WHERE b = %s AND c LIKE 'x%%' AND d = '?' AND e = %s")
    assert to_pyformat('SELECT "odd?name" FROM t WHERE x = ?') == 'SELECT "odd?name" FROM t WHERE x = %s'


def test_urls_are_shown_without_their_password() -> None:
    assert display_url("postgresql://app:pa55@db.example:5433/loyalty?sslmode=require") == (
        "postgresql://app:***@db.example:5433/loyalty?sslmode=require")
    assert display_url("postgresql://app@db/loyalty") == "postgresql://app@db/loyalty"


def test_services_starting_together_make_the_schema_once(postgres: PostgresServer) -> None:
    url = postgres.create_database("started_together")
    errors: list[BaseException] = []

    def start() -> None:
        database = open_database(url, pool_size=2)
        try:
            database.create_schema()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            database.close()

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert columns(url)["meta"] == ["key", "value"]


@pytest.mark.parametrize("service_db", ["postgresql"], indirect=True)
def test_the_service_carries_on_after_its_postgresql_connections_are_cut(
    api: httpx.Client, live_service: RunningService, live_db: str
) -> None:
    """As when the database server restarts or a proxy drops idle links: the pool checks each
    connection before lending it, so the next request works without restarting the service."""
    assert post_sale(api, sale_body(api, ALICE_ID, [line(api, "1005")])).status_code == 201
    with psycopg.connect(live_db, autocommit=True) as admin:
        cut = admin.execute(
            "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE application_name = 'loyalty-service' AND datname = current_database()").fetchone()
    assert cut is not None and cut[0] >= 1
    assert post_sale(api, sale_body(api, ALICE_ID, [line(api, "1005")])).status_code == 201
    assert balance(api, ALICE_ID) == 640 + 4 + 4


@pytest.mark.parametrize("service_db", ["postgresql"], indirect=True)
def test_many_more_requests_than_pooled_connections_are_all_answered_at_once(service_db: str) -> None:
    """More requests in flight than the service has worker threads (40) and connections (2 here):
    a request holds a connection only while its route runs, so none waits on another's thread.
    (When the connection came from a dependency, this stalled for the pool's 15 s timeout.)"""
    with start_service(db_path=service_db, api_key=TEST_API_KEY, extra_args=("--db-pool-size", "2")) as service:
        headers = {"Authorization": f"Bearer {TEST_API_KEY}"}

        def catalog(_: int) -> int:
            return httpx.get(f"{service.url}/v1/catalog", headers=headers, timeout=30).status_code

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=80) as pool:
            answers = list(pool.map(catalog, range(80)))
        took = time.monotonic() - started
    assert answers == [200] * 80
    assert took < 10, took
