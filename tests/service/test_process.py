"""The service as a process: its one stdout line, keys, restarts on the same file, and exiting
when the process that started it is gone."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from pos_core import embedded_service
from pos_core.embedded_service import start_service
from tests.service.api_calls import ALICE_ID, balance, line, post_sale, sale_body
from tests.service.stored import execute, rows


KEY = "process-test-key-0123456789"  # configured keys are at least 24 characters


@pytest.fixture(autouse=True)
def real_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Here start_service starts ``python -m loyalty_service`` itself, as the register does, not a
    fork of the tests' fork server (tests/conftest.py)."""
    monkeypatch.setattr(embedded_service, "spawn", embedded_service._popen)


def env_without_keys() -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if name != "LOYALTY_API_KEYS"}


@contextmanager
def service_process(*args: str, env: dict[str, str] | None = None) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``python -m loyalty_service ARGS`` on a free port; yields the process and its URL once it listens."""
    process = subprocess.Popen(
        [sys.executable, "-m", "loyalty_service", "--port", "0", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env or env_without_keys(),
    )
    try:
        assert process.stdout is not None
        event = json.loads(process.stdout.readline())
        assert set(event) == {"event", "url"} and event["event"] == "listening"
        assert event["url"].startswith("http://127.0.0.1:") and not event["url"].endswith(":0")
        yield process, event["url"]
    finally:
        if process.poll() is None:
            process.terminate()
        process.wait(10)


def test_prints_one_line_on_stdout_and_logs_only_on_stderr(tmp_path: Path) -> None:
    with service_process("--db", str(tmp_path / "l.db"), "--demo", "--api-key", KEY, "--access-log") as (process, url):
        headers = {"Authorization": f"Bearer {KEY}"}
        assert httpx.post(f"{url}/v1/identify", json={"method": "phone", "value": "020 7946 0001"},
                          headers=headers).status_code == 200
        httpx.get(f"{url}/v1/health", headers=headers)
        process.terminate()
        # uvicorn finishes its shutdown, then lets SIGTERM end the process as the signal would
        assert process.wait(10) == -signal.SIGTERM
        assert process.stdout is not None and process.stderr is not None
        assert process.stdout.read() == ""
        log = process.stderr.read()
    assert "Finished server process" in log
    assert "GET /v1/health" in log  # --access-log, on stderr
    assert "7946" not in log and "Alice" not in log  # no phone numbers or bodies


def test_an_idle_connection_outlives_the_clients_own_keep_alive(tmp_path: Path) -> None:
    """httpx (the tills' client) keeps an idle connection 5 s; the service must keep it longer, or
    a request sent as the service closes it fails with "server disconnected"."""
    client_keeps = httpx.Limits().keepalive_expiry
    assert client_keeps is not None
    with service_process("--db", str(tmp_path / "l.db"), "--api-key", KEY) as (_, url):
        port = int(url.rsplit(":", 1)[1])
        request = b"GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + KEY.encode() + b"\r\n\r\n"
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
            conn.sendall(request)
            assert whole_answer(conn).startswith(b"HTTP/1.1 200")
            # Idle past the client's own expiry: the service has not closed its end.
            conn.settimeout(client_keeps + 1)
            with pytest.raises(TimeoutError):
                closed = conn.recv(1)
                raise AssertionError(f"the service closed an idle connection within {client_keeps + 1} s: {closed!r}")
            conn.settimeout(10)
            conn.sendall(request)
            assert whole_answer(conn).startswith(b"HTTP/1.1 200")


def whole_answer(conn: socket.socket) -> bytes:
    """One HTTP/1.1 answer read to the end of its body (Content-Length)."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += conn.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:"))
    while len(body) < length:
        body += conn.recv(65536)
    return data


def test_access_log_is_off_by_default(tmp_path: Path) -> None:
    with service_process("--db", str(tmp_path / "l.db"), "--api-key", KEY) as (process, url):
        assert httpx.get(f"{url}/v1/health", headers={"Authorization": f"Bearer {KEY}"}).status_code == 200
        process.terminate()
        process.wait(10)
        assert process.stderr is not None
        assert "/v1/health" not in process.stderr.read()


def test_keys_from_flags_and_environment(tmp_path: Path) -> None:
    env = {**env_without_keys(), "LOYALTY_API_KEYS": "env-one-0123456789abcdefghij, env-two-0123456789abcdefghij"}
    with service_process("--db", str(tmp_path / "l.db"), "--api-key", "flag-one-0123456789abcdefghij", "--api-key", "flag-two-0123456789abcdefghij",
                         env=env) as (_, url):
        for key in ("flag-one-0123456789abcdefghij", "flag-two-0123456789abcdefghij", "env-one-0123456789abcdefghij", "env-two-0123456789abcdefghij"):
            assert httpx.get(f"{url}/v1/health", headers={"Authorization": f"Bearer {key}"}).status_code == 200
        assert httpx.get(f"{url}/v1/health", headers={"Authorization": "Bearer demo-key"}).status_code == 401


def test_without_demo_the_store_is_empty_but_runs_the_demo_program(tmp_path: Path) -> None:
    with service_process("--db", str(tmp_path / "l.db"), "--api-key", KEY) as (_, url):
        headers = {"Authorization": f"Bearer {KEY}"}
        assert httpx.get(f"{url}/v1/catalog", headers=headers).json() == {"currency": "GBP", "products": []}
        assert httpx.get(f"{url}/v1/program", headers=headers).json()["terms_version"] == "2026-01"
        found = httpx.post(f"{url}/v1/identify", json={"method": "phone", "value": "020 7946 0001"}, headers=headers)
        assert found.status_code == 404


def test_refuses_to_start_without_a_key(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "loyalty_service", "--port", "0", "--db", str(tmp_path / "l.db")],
                            capture_output=True, text=True, env=env_without_keys(), timeout=30)
    assert result.returncode == 2
    assert "--api-key" in result.stderr and "LOYALTY_API_KEYS" in result.stderr
    assert result.stdout == ""


def test_demo_without_a_key_uses_the_demo_key_and_says_so(tmp_path: Path) -> None:
    with service_process("--db", str(tmp_path / "l.db"), "--demo") as (process, url):
        assert httpx.get(f"{url}/v1/health", headers={"Authorization": "Bearer demo-key"}).status_code == 200
        process.terminate()
        process.wait(10)
        assert process.stderr is not None
        assert "demo-key" in process.stderr.read()


def test_restart_on_the_same_database_keeps_balances_and_does_not_reseed(service_db: Path | str) -> None:
    db = service_db
    key = str(uuid.uuid4())
    with start_service(db_path=db, api_key=KEY) as service, httpx.Client(
        base_url=service.url, headers={"Authorization": f"Bearer {KEY}"}
    ) as client:
        assert post_sale(client, sale_body(client, ALICE_ID, [line(client, "1005", 2)]), key).status_code == 201
        assert balance(client, ALICE_ID) == 648
    with start_service(db_path=db, api_key=KEY) as service, httpx.Client(
        base_url=service.url, headers={"Authorization": f"Bearer {KEY}"}
    ) as client:
        assert balance(client, ALICE_ID) == 648
        assert client.get(f"/v1/sales/{key}").json()["balance"] == 648
        assert len(client.get("/v1/catalog").json()["products"]) == 40
    assert rows(db, "SELECT COUNT(*) FROM accounts") == [(10,)]
    assert rows(db, "SELECT COUNT(*) FROM ledger WHERE kind = 'opening'") == [(9,)]
    assert rows(db, "SELECT COUNT(*), MIN(terms_version) FROM consents") == [(10, "2026-01")]
    if isinstance(db, Path):
        assert rows(db, "PRAGMA journal_mode") == [("wal",)]


def test_exits_when_its_parent_is_gone(tmp_path: Path) -> None:
    parent = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    with service_process("--db", str(tmp_path / "l.db"), "--api-key", KEY, "--parent-pid", str(parent.pid)) as (
        process, url
    ):
        # It watched its parent before it began to listen: with the parent alive, it serves.
        assert httpx.get(f"{url}/v1/health", headers={"Authorization": f"Bearer {KEY}"}).status_code == 200
        assert process.poll() is None
        parent.kill()
        parent.wait()  # reaped, so the pid is really gone
        assert process.wait(timeout=10) == 0
        assert process.stderr is not None
        assert f"parent {parent.pid} is gone" in process.stderr.read()


def test_refuses_a_database_of_another_schema(service_db: Path | str) -> None:
    execute(service_db, "CREATE TABLE accounts (account_id TEXT PRIMARY KEY)")
    result = subprocess.run([sys.executable, "-m", "loyalty_service", "--port", "0", "--db", str(service_db),
                             "--api-key", KEY], capture_output=True, text=True, env=env_without_keys(), timeout=30)
    assert result.returncode == 2 and result.stdout == ""
    assert "another version" in result.stderr or "database of its own" in result.stderr, result.stderr


def test_an_unreachable_postgresql_is_refused_with_the_reason_and_no_password(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"postgresql://loyalty:s3cret-pw@127.0.0.1:{port}/loyalty"
    result = subprocess.run([sys.executable, "-m", "loyalty_service", "--port", "0", "--db", url, "--api-key", KEY],
                            capture_output=True, text=True, env=env_without_keys(), timeout=60)
    assert result.returncode == 2 and result.stdout == ""
    assert f"cannot connect to postgresql://loyalty:***@127.0.0.1:{port}/loyalty" in result.stderr
    assert "refused" in result.stderr.lower()
    assert "s3cret-pw" not in result.stderr
