"""GET /v1/events: each account's changes as server-sent events, numbered per account, resumed
exactly after Last-Event-ID, ended when the service stops."""

from __future__ import annotations

import json
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from httpx_sse import connect_sse

from pos_core.embedded_service import RunningService, start_service
from tests.conftest import TEST_API_KEY
from tests.service.api_calls import ALICE_ID, error_code, line, post_sale, sale_body
from tests.waiting import wait_until

MANAGER_PIN = "135790"  # the demo store's manager (--demo)


def adjust(client: httpx.Client, account_id: str, points: int, **extra: Any) -> httpx.Response:
    body = {"points": points, "reason": "goodwill", "manager_pin": MANAGER_PIN, **extra}
    return client.post(f"/v1/accounts/{account_id}/adjustments", json=body)


def read_events(
    client: httpx.Client, count: int, *, account_id: str | None = None, last_event_id: str | None = None
) -> list[tuple[str, str, dict[str, Any]]]:
    """The first ``count`` events of a stream, as (id, event, data)."""
    params = {"account_id": account_id} if account_id else None
    headers = {"Last-Event-ID": last_event_id} if last_event_id is not None else {}
    found = []
    with connect_sse(client, "GET", "/v1/events", params=params, headers=headers,
                     timeout=httpx.Timeout(5.0)) as source:
        assert source.response.headers["content-type"].startswith("text/event-stream")
        for sse in source.iter_sse():
            if sse.data:
                found.append((sse.id, sse.event, json.loads(sse.data)))
                if len(found) == count:
                    break
    return found


def test_changes_are_numbered_per_account_and_resume_after_last_event_id(api: httpx.Client) -> None:
    assert adjust(api, ALICE_ID, 500).status_code == 201  # 640 -> 1140: "10% off" becomes affordable
    sale = sale_body(api, ALICE_ID, [line(api, "1005", 2)], rewards=["five-off"])
    assert post_sale(api, sale).status_code == 201
    events = read_events(api, 3, account_id=ALICE_ID, last_event_id=f"{ALICE_ID}:0")
    assert [(i, e) for i, e, _ in events] == [
        (f"{ALICE_ID}:1", "balance_changed"), (f"{ALICE_ID}:2", "reward_issued"), (f"{ALICE_ID}:3", "balance_changed"),
    ]
    first, issued, spent = events[0][2], events[1][2], events[2][2]
    assert (first["seq"], first["balance"], first["delta"], first["cause"]) == (1, 1140, 500, "adjustment")
    assert issued["rewards"] == ["ten-percent"]
    assert spent["cause"] == "sale" and spent["store_id"] == "demo-store" and spent["terminal_id"] == "till-9"
    # Resuming after seq 2 gives exactly what followed, nothing again.
    resumed = read_events(api, 1, account_id=ALICE_ID, last_event_id=f"{ALICE_ID}:2")
    assert resumed[0][0] == f"{ALICE_ID}:3" and resumed[0][2]["seq"] == 3
    assert "Alice" not in json.dumps([e[2] for e in events])  # no names in events


def test_one_stream_for_every_account_with_global_ids(api: httpx.Client) -> None:
    enrolled = api.post("/v1/accounts", json={"phone": "020 7946 0999", "name": "Sam Taylor",
                                              "consent": {"terms_version": "2026-01", "marketing": False}})
    assert enrolled.status_code == 201
    sam = enrolled.json()["account_id"]
    assert adjust(api, ALICE_ID, 10).status_code == 201
    assert adjust(api, sam, 20).status_code == 201
    events = read_events(api, 3, last_event_id="0")
    assert [(e[2]["account_id"], e[1]) for e in events] == [
        (sam, "enrolled"), (ALICE_ID, "balance_changed"), (sam, "balance_changed")
    ]
    ids = [int(e[0]) for e in events]
    assert ids == sorted(ids) and len(set(ids)) == 3
    assert [e[2]["seq"] for e in events] == [1, 1, 2]  # per account
    after_first = read_events(api, 2, last_event_id=str(ids[0]))
    assert [int(e[0]) for e in after_first] == ids[1:]


def test_a_new_stream_starts_with_the_next_change(api: httpx.Client, live_service: RunningService) -> None:
    assert adjust(api, ALICE_ID, 1).status_code == 201  # history a new follower does not replay
    with connect_sse(api, "GET", "/v1/events", params={"account_id": ALICE_ID},
                     timeout=httpx.Timeout(5.0)) as source:
        frames = source.iter_sse()
        opening = next(frames)
        assert opening.data == "" and opening.id == f"{ALICE_ID}:1"  # where it starts, to resume from
        started = time.monotonic()
        assert adjust(api, ALICE_ID, 25).status_code == 201
        change = next(frames)
        assert time.monotonic() - started < 2.0
    assert change.id == f"{ALICE_ID}:2" and json.loads(change.data)["balance"] == 640 + 1 + 25


def test_refusals(api: httpx.Client) -> None:
    assert error_code(api.get("/v1/events", params={"account_id": "acc_000000000000"})) == (404, "not_found")
    bad = api.get("/v1/events", params={"account_id": ALICE_ID}, headers={"Last-Event-ID": "acc_other:3"})
    assert error_code(bad) == (422, "invalid_request")
    refused = httpx.get(f"{api.base_url}/v1/events", headers={"Authorization": "Bearer wrong"})
    assert error_code(refused) == (401, "unauthorized")


def test_idle_streams_get_keep_alive_comments(service_db: Path | str) -> None:
    with start_service(db_path=service_db, api_key=TEST_API_KEY,
                       extra_args=("--events-keepalive", "0.5")) as service, httpx.Client(
        base_url=service.url, headers={"Authorization": f"Bearer {TEST_API_KEY}"}, timeout=5
    ) as client, client.stream("GET", "/v1/events") as response:
        lines = response.iter_lines()
        seen = [next(lines) for _ in range(5)]
    assert ": keep-alive" in seen


def test_an_open_stream_does_not_hold_up_stopping_the_service(service_db: Path | str) -> None:
    service = start_service(db_path=service_db, api_key=TEST_API_KEY)
    opened, ended = threading.Event(), threading.Event()

    def follow() -> None:
        with httpx.Client(base_url=service.url, headers={"Authorization": f"Bearer {TEST_API_KEY}"},
                          timeout=30) as client:
            try:
                with client.stream("GET", "/v1/events") as response:
                    for _ in response.iter_lines():
                        opened.set()  # the opening frame came: the service holds the stream open
            except httpx.HTTPError:
                pass
        ended.set()

    thread = threading.Thread(target=follow, daemon=True)
    thread.start()
    assert opened.wait(10), "the stream did not open"
    started = time.monotonic()
    service.stop(timeout=10)
    assert service.process.returncode is not None
    assert time.monotonic() - started < 4.0  # well inside uvicorn's 5 s graceful shutdown
    assert ended.wait(5)


def test_sales_replayed_by_idempotency_key_make_no_new_events(api: httpx.Client) -> None:
    key = str(uuid.uuid4())
    body = sale_body(api, ALICE_ID, [line(api, "1005", 2)])
    assert post_sale(api, body, key).status_code == 201
    assert post_sale(api, body, key).headers["Idempotent-Replayed"] == "true"
    assert adjust(api, ALICE_ID, 3).status_code == 201
    events = read_events(api, 2, account_id=ALICE_ID, last_event_id=f"{ALICE_ID}:0")
    assert [e[2]["cause"] for e in events] == ["sale", "adjustment"]


def test_a_stream_ends_when_its_client_goes(service_db: Path | str) -> None:
    """In this process, to count the service's open streams."""
    import socket

    import uvicorn

    from loyalty_service.app import create_app
    from loyalty_service.program import load_program

    app = create_app(service_db, [TEST_API_KEY], load_program(), events_keepalive_seconds=60)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        wait_until(lambda: server.started, timeout=10, what="the service started")
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {TEST_API_KEY}"}, timeout=5) as client:
            with connect_sse(client, "GET", "/v1/events") as source:
                # Keep the iterator: a dropped one closes the response, and so the connection.
                frames = source.iter_sse()
                next(frames)  # the opening frame
                wait_until(lambda: app.state.open_event_streams == 1, timeout=5, what="the service counts the stream")
        # Well before the next keep-alive (60 s), which is when a write would find the client gone.
        wait_until(lambda: app.state.open_event_streams == 0, timeout=3, what="the stream ends with its client")
    finally:
        server.should_exit = True
        thread.join(10)


def test_old_events_are_pruned_but_each_accounts_numbering_carries_on(service_db: Path | str, tmp_path: Path) -> None:
    from loyalty_service.database import open_database, write_transaction
    from loyalty_service.event_retention import prune
    from loyalty_service.events import record_event
    from tests.service.stored import rows

    with start_service(db_path=service_db, api_key=TEST_API_KEY, extra_args=("--events-keep-days", "0")):
        pass  # the demo store, made by the service itself; 0: nothing pruned
    database = open_database(service_db)
    try:
        with database.connection() as conn:
            with write_transaction(conn):
                for n in range(3):
                    record_event(conn, ALICE_ID, "balance_changed", {"balance": n})
                record_event(conn, "acc_e48f54a256bf", "balance_changed", {"balance": 1})
                conn.execute("UPDATE events SET created_at = '2020-01-01T00:00:00Z'")
                record_event(conn, ALICE_ID, "balance_changed", {"balance": 9})  # today's
            assert prune(conn, keep_days=30) == 3  # Alice's three old ones; Ben's only event stays
            assert prune(conn, keep_days=30) == 0
            with write_transaction(conn):
                assert record_event(conn, ALICE_ID, "balance_changed", {"balance": 10}) == 5
                assert record_event(conn, "acc_e48f54a256bf", "balance_changed", {"balance": 2}) == 2
    finally:
        database.close()
    assert rows(service_db, "SELECT account_id, seq FROM events ORDER BY id") == [
        ("acc_e48f54a256bf", 1), (ALICE_ID, 4), (ALICE_ID, 5), ("acc_e48f54a256bf", 2)]
    # The service prunes when it starts (then hourly), and a till resuming from a pruned event
    # gets what came after it.
    from tests.service.stored import execute

    execute(service_db, "UPDATE events SET created_at = '2020-01-01T00:00:00Z' WHERE seq < 4")
    with start_service(db_path=service_db, api_key=TEST_API_KEY, extra_args=("--events-keep-days", "30")) as service:
        wait_until(lambda: len(rows(service_db, "SELECT id FROM events")) <= 3, timeout=10,
                   what="the service pruned the old events at start")
        assert rows(service_db, "SELECT account_id, seq FROM events ORDER BY id") == [
            (ALICE_ID, 4), (ALICE_ID, 5), ("acc_e48f54a256bf", 2)]
        with httpx.Client(base_url=service.url, headers={"Authorization": f"Bearer {TEST_API_KEY}"}) as client:
            resumed = read_events(client, 2, account_id=ALICE_ID, last_event_id=f"{ALICE_ID}:1")
    assert [e[2]["balance"] for e in resumed] == [9, 10]
