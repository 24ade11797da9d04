"""Limits (issue 13, point 4), replayed as measured against a real service on both databases:
bodies over 256 KiB refused before they are read, sales bounded in lines, quantities and amount,
points over the programme's review threshold held for head office, event streams per key.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from httpx_sse import connect_sse

from pos_core.embedded_service import RunningService, start_service
from tests.conftest import TEST_API_KEY
from tests.service.api_calls import ALICE_ID, balance, error_code, line, post_sale, sale_body
from tests.service.test_chain_security import add_key, keyed, management
from tests.service.test_events import read_events
from tests.waiting import wait_until

LOAF = {"sku": "1005", "name": "Sourdough loaf", "category": "bakery", "unit_price": 349}

# These returns refund more than the programme lets a till refund alone: the demo manager approves them.
MANAGER = {"manager_id": "mgr_demo", "manager_pin": "135790"}


# -- bodies over 256 KiB ----------------------------------------------------------------------------


def peak_memory_kib(pid: int) -> int:
    """The process's peak resident memory so far (VmHWM)."""
    for text in Path(f"/proc/{pid}/status").read_text().splitlines():
        if text.startswith("VmHWM:"):
            return int(text.split()[1])
    raise AssertionError("no VmHWM")


def send_raw(url: str, head: bytes, pieces: list[bytes]) -> bytes:
    """Send a request as given (head, then the body's pieces) on a socket, and what came back.
    The answer is read alongside, since the service may answer and close before the body is sent."""
    host, port = url.split("//")[1].rsplit(":", 1)
    answer = bytearray()
    with socket.create_connection((host, int(port)), timeout=30) as conn:
        def read() -> None:
            try:
                while chunk := conn.recv(65536):
                    answer.extend(chunk)
            except OSError:
                pass
        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        try:
            conn.sendall(head)
            for piece in pieces:
                conn.sendall(piece)
        except OSError:
            pass  # the service stopped reading: what it answered is what counts
        reader.join(30)
    return bytes(answer)


def status_and_body(answer: bytes) -> tuple[int, dict[str, Any]]:
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body)


def big_sale_json() -> bytes:
    """About 18 MB of sale lines, as the issue sent."""
    body = b'{"account_id": "' + ALICE_ID.encode() + b'", "lines": ['
    body += b",".join([json.dumps(LOAF | {"quantity": 1}).encode()] * 240_000)
    return body + b"]}"


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_an_18_mb_body_without_a_key_is_refused_before_it_is_read(
    live_service: RunningService, framing: str
) -> None:
    body = big_sale_json()
    assert len(body) > 18_000_000
    pid = live_service.process.pid
    assert httpx.get(f"{live_service.url}/v1/health").status_code == 401  # up, and answering
    before = peak_memory_kib(pid)
    pieces = [body[i:i + 65536] for i in range(0, len(body), 65536)]
    head = b"POST /v1/sales HTTP/1.1\r\nHost: loyalty\r\nContent-Type: application/json\r\n"
    if framing == "chunked":
        head += b"Transfer-Encoding: chunked\r\n\r\n"
        pieces = [b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces] + [b"0\r\n\r\n"]
    else:
        head += b"Content-Length: %d\r\n\r\n" % len(body)
    status, answer = status_and_body(send_raw(live_service.url, head, pieces))
    assert (status, answer["error"]["code"]) == (413, "body_too_large")
    assert answer["error"]["details"] == [{"field": "body", "problem": "at most 262144 bytes"}]
    # Measured before: 60 MB -> 530 MB, the whole body read and parsed. Now a little at most.
    grown_mib = (peak_memory_kib(pid) - before) / 1024
    assert grown_mib < 30, f"the service's peak memory grew {grown_mib:.0f} MiB"
    assert httpx.get(f"{live_service.url}/v1/health").status_code == 401  # and it still answers


def test_a_body_over_the_limit_is_refused_with_a_key_too_and_a_till_still_sells(api: httpx.Client) -> None:
    padding = {"account_id": ALICE_ID, "value": "x" * (300 * 1024)}
    assert error_code(api.post("/v1/identify", json=padding)) == (413, "body_too_large")

    def chunks(payload: bytes):  # no Content-Length: counted as it comes
        for i in range(0, len(payload), 4096):
            yield payload[i:i + 4096]

    streamed = api.post("/v1/quote", content=chunks(json.dumps(padding).encode()),
                        headers={"Content-Type": "application/json"})
    assert error_code(streamed) == (413, "body_too_large")
    # A real sale, even sent chunked, is far below the limit and goes through.
    body = sale_body(api, ALICE_ID, [line(api, "1005", 2)])
    sent = api.post("/v1/sales", content=chunks(json.dumps(body).encode()),
                    headers={"Content-Type": "application/json", "Idempotency-Key": str(uuid.uuid4())})
    assert sent.status_code == 201, sent.text


# -- a sale's lines, quantities and amount ------------------------------------------------------------


def test_the_measured_sale_of_50_lines_of_100_000_loaves_is_refused(api: httpx.Client) -> None:
    before = balance(api, ALICE_ID)
    lines = [LOAF | {"sku": f"10{n:02d}", "quantity": 100_000} for n in range(50)]
    body = sale_body(api, ALICE_ID, lines, tender=[{"method": "cash", "amount": 2_000_000_000_000}])
    refused = post_sale(api, body)
    assert error_code(refused) == (422, "invalid_request")
    assert {d["field"] for d in refused.json()["error"]["details"]} >= {"lines.0.quantity", "lines.49.quantity"}
    assert balance(api, ALICE_ID) == before


def test_lines_quantities_amount_and_tender_are_bounded_naming_the_field(api: httpx.Client) -> None:
    limits = api.get("/v1/program").json()["limits"]
    assert limits == {"max_lines": 200, "max_quantity": 9999, "max_sale_amount": 1_000_000}
    cases = {
        "lines": [LOAF | {"quantity": 1}] * 201,
        "lines.0.quantity": [LOAF | {"quantity": 10_000}],
    }
    for field, lines in cases.items():
        for path in ("/v1/quote", "/v1/sales"):
            body = sale_body(api, ALICE_ID, lines, tender=[{"method": "card", "amount": 349}])
            if path == "/v1/quote":
                body = {"account_id": ALICE_ID, "lines": lines}
            answer = api.post(path, json=body, headers={"Idempotency-Key": str(uuid.uuid4())})
            assert error_code(answer) == (422, "invalid_request"), (path, field)
            assert field in {d["field"] for d in answer.json()["error"]["details"]}
    # 2 866 loaves at 3.49 are 10 002.34: over the demo programme's 10 000.00.
    over = [LOAF | {"quantity": 2866}]
    quoted = api.post("/v1/quote", json={"account_id": ALICE_ID, "lines": over})
    assert error_code(quoted) == (422, "sale_too_large")
    assert quoted.json()["error"]["details"][0]["field"] == "lines"
    sold = post_sale(api, sale_body(api, ALICE_ID, over, tender=[{"method": "card", "amount": 1_000_234}]))
    assert error_code(sold) == (422, "sale_too_large")
    # The tender in all is bounded likewise: no 500 000.00 in cash handed over for a loaf.
    cash = post_sale(api, sale_body(api, ALICE_ID, [LOAF | {"quantity": 1}],
                                    tender=[{"method": "cash", "amount": 25_000_000}] * 2))
    assert error_code(cash) == (422, "sale_too_large")
    assert cash.json()["error"]["details"][0]["field"] == "tender"
    # Up to the limits, a sale goes through: 200 lines, and 9 999 of one thing.
    most = post_sale(api, sale_body(api, ALICE_ID, [LOAF | {"quantity": 1}] * 200))
    assert most.status_code == 201, most.text
    many = post_sale(api, sale_body(api, ALICE_ID, [{**LOAF, "unit_price": 10, "quantity": 9999}]))
    assert many.status_code == 201, many.text


def test_the_programme_file_states_its_limits_and_a_mistake_is_refused_with_its_line(tmp_path: Path) -> None:
    from loyalty_service.program import DEMO_PROGRAM, ProgramError, load_program

    text = DEMO_PROGRAM.read_text()
    assert "[limits]" in text
    amount, review = "max_sale_amount = 1000000", "review_points_above = 5000"
    for right, wrong, says in ((amount, "max_sale_amount = 0", "at least 1"),
                               (amount, "max_sale_amount = 12.5", "not a whole number"),
                               (review, "review_points_above = -1", "must not be negative"),
                               (amount, "max_sale = 5", "unknown key")):
        path = tmp_path / "program.toml"
        path.write_text(text.replace(right, wrong))
        with pytest.raises(ProgramError) as refused:
            load_program(path)
        line_number = next(n for n, row in enumerate(path.read_text().splitlines(), 1) if row.startswith(wrong))
        assert f"line {line_number}" in str(refused.value) and says in str(refused.value)
    plain = tmp_path / "plain.toml"
    start, end = text.index("[limits]"), text.index("# Tiers are reached")
    plain.write_text(text[:start] + text[end:])
    program = load_program(plain)
    assert (program.max_sale_amount, program.review_points_above) == (1_000_000, 5_000)  # the defaults


# -- points held for review -----------------------------------------------------------------------------


def big_shop(client: httpx.Client, terminal: dict[str, str] | None = None) -> dict[str, Any]:
    """1 200 loaves for Alice (Silver, x1.25): 418.80 -> 5 235 points + 50 big-shop bonus = 5 285,
    over the demo programme's review_points_above (5 000)."""
    body = sale_body(client, ALICE_ID, [LOAF | {"quantity": 1200}])
    return body | (terminal or {})


def held_list(client: httpx.Client) -> list[dict[str, Any]]:
    answer = client.get("/v1/flags")
    assert answer.status_code == 200, answer.text
    return answer.json()["held_points"]


def test_points_over_the_threshold_are_held_then_released_once_by_head_office(
    api: httpx.Client, live_service: RunningService, live_db: Path | str
) -> None:
    till_key = add_key(live_db, "demo-store", "till-9")
    result = management("add-key", "--db", str(live_db), "--role", "hq")
    assert result.returncode == 0, result.stderr
    hq_key = json.loads(result.stdout)["key"]
    before = balance(api, ALICE_ID)
    with keyed(live_service, till_key) as till, keyed(live_service, hq_key) as hq:
        sale = post_sale(till, big_shop(api))
        assert sale.status_code == 201, sale.text
        answer = sale.json()
        assert answer["points_earned"] == 5285 and answer["points_held_for_review"] == 5285
        assert answer["balance"] == before == balance(api, ALICE_ID)  # recorded, not credited
        sale_id = answer["sale_id"]
        [held] = held_list(hq)
        assert (held["sale_id"], held["points"], held["status"], held["store_id"]) == (sale_id, 5285, "held", "demo-store")
        # A till may not decide; an unknown sale is 404.
        assert error_code(till.post(f"/v1/held-points/{sale_id}/release")) == (403, "hq_only")
        assert error_code(hq.post(f"/v1/held-points/{uuid.uuid4()}/release")) == (404, "not_found")
        assert balance(api, ALICE_ID) == before
        released = hq.post(f"/v1/held-points/{sale_id}/release")
        assert released.status_code == 200, released.text
        decided = released.json()
        assert decided["status"] == "released" and decided["decided_by"].startswith("key_") and decided["decided_at"]
        assert balance(api, ALICE_ID) == before + 5285
        again = hq.post(f"/v1/held-points/{sale_id}/release")
        assert again.json() == decided and balance(api, ALICE_ID) == before + 5285  # credited once
        assert error_code(hq.post(f"/v1/held-points/{sale_id}/reverse")) == (409, "already_decided")
        assert held_list(hq) == []
    # The held sale changed no balance, so the release's events are the account's first.
    changed, tier = read_events(api, 2, account_id=ALICE_ID, last_event_id=f"{ALICE_ID}:0")
    assert (changed[1], changed[2]["cause"], changed[2]["delta"], changed[2]["sale_id"]) == (
        "balance_changed", "points_released", 5285, sale_id)
    assert (tier[1], tier[2]["tier"]) == ("tier_changed", "Gold")


def test_reversed_points_are_never_credited_and_a_return_takes_nothing_never_credited(api: httpx.Client) -> None:
    before = balance(api, ALICE_ID)
    first = post_sale(api, big_shop(api)).json()
    second = post_sale(api, big_shop(api)).json()
    assert first["points_held_for_review"] == second["points_held_for_review"] == 5285
    assert {h["sale_id"] for h in held_list(api)} == {first["sale_id"], second["sale_id"]}  # same second: any order
    # The first is reversed (twice: the same answer), then returned in full: nothing to take back.
    reversed_ = api.post(f"/v1/held-points/{first['sale_id']}/reverse")
    assert reversed_.status_code == 200 and reversed_.json()["status"] == "reversed"
    assert api.post(f"/v1/held-points/{first['sale_id']}/reverse").json() == reversed_.json()
    returned = api.post(f"/v1/sales/{first['sale_id']}/returns", json=MANAGER, headers={"Idempotency-Key": str(uuid.uuid4())})
    assert returned.status_code == 201, returned.text
    assert returned.json()["points_reversed"] == 0 and balance(api, ALICE_ID) == before
    # Half the second comes back while its points are held: the hold shrinks, the balance does not.
    half = api.post(f"/v1/sales/{second['sale_id']}/returns", json={"lines": [{"sku": "1005", "quantity": 600}], **MANAGER},
                    headers={"Idempotency-Key": str(uuid.uuid4())})
    assert half.status_code == 201, half.text
    assert half.json()["points_reversed"] == 0 and balance(api, ALICE_ID) == before
    [held] = held_list(api)
    assert held["points_earned"] == 5285 and 0 < held["points"] < 5285
    left = held["points"]
    assert api.post(f"/v1/held-points/{second['sale_id']}/release").json()["points"] == left
    assert balance(api, ALICE_ID) == before + left
    # The rest comes back after release: off the balance now, and never below where it started.
    rest = api.post(f"/v1/sales/{second['sale_id']}/returns", json=MANAGER, headers={"Idempotency-Key": str(uuid.uuid4())})
    assert rest.status_code == 201, rest.text
    assert rest.json()["points_reversed"] == left and balance(api, ALICE_ID) == before


def test_a_sale_under_the_threshold_is_credited_at_once(api: httpx.Client) -> None:
    before = balance(api, ALICE_ID)
    sale = post_sale(api, sale_body(api, ALICE_ID, [LOAF | {"quantity": 10}])).json()
    assert sale["points_held_for_review"] == 0 and sale["balance"] == before + sale["points_earned"] > before
    assert held_list(api) == []


# -- event streams per key, and what idle ones cost ----------------------------------------------------


def open_stream(url: str, key: str, account_id: str | None = None) -> tuple[int, socket.socket, bytes]:
    """GET /v1/events on a socket of its own, read up to the opening frame (or the whole refusal):
    (status, the socket, still open for a stream, what was read)."""
    host, port = url.split("//")[1].rsplit(":", 1)
    query = f"?account_id={account_id}" if account_id else ""
    conn = socket.create_connection((host, int(port)), timeout=10)
    conn.sendall(f"GET /v1/events{query} HTTP/1.1\r\nHost: loyalty\r\nAuthorization: Bearer {key}\r\n\r\n".encode())
    read = b""
    while b"\r\n\r\n" not in read or (read.startswith(b"HTTP/1.1 200") and b"retry:" not in read):
        chunk = conn.recv(65536)
        if not chunk:
            break
        read += chunk
    if not read.startswith(b"HTTP/1.1 200"):
        while b"}}" not in read and (chunk := conn.recv(65536)):
            read += chunk
    return int(read.split(b" ", 2)[1]), conn, read


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_a_key_may_hold_20_streams_and_one_more_is_429_till_one_closes(
    live_service: RunningService, live_db: Path | str
) -> None:
    opened = []
    try:
        for _ in range(20):
            status, conn, _ = open_stream(live_service.url, TEST_API_KEY, ALICE_ID if len(opened) % 2 else None)
            opened.append(conn)
            assert status == 200
        status, refused, read = open_stream(live_service.url, TEST_API_KEY)
        refused.close()
        assert status == 429 and b"retry-after: 5" in read.lower()
        assert json.loads(read.partition(b"\r\n\r\n")[2])["error"]["code"] == "too_many_streams"
        # Another key (a till's) is not held up by this one's streams.
        till = add_key(live_db, "store-north", "till-2")
        with keyed(live_service, till) as serving:  # a till follows the customer it serves
            assert serving.post("/v1/identify", json={"method": "phone", "value": "020 7946 0001"}).status_code == 200
        status, other, _ = open_stream(live_service.url, till, ALICE_ID)
        other.close()
        assert status == 200
        # A stream that closes gives its place back.
        opened.pop().close()

        def reopened() -> bool:
            status, conn, _ = open_stream(live_service.url, TEST_API_KEY)
            if status == 200:
                opened.append(conn)
                return True
            conn.close()
            return False

        wait_until(reopened, timeout=10, what="a closed stream's place is given back", interval=0.2)
    finally:
        for conn in opened:
            conn.close()


def test_100_idle_streams_from_one_key_cost_the_service_little_and_still_carry_events(
    service_db: Path | str, tmp_path: Path
) -> None:
    """Measured before: 100 idle streams used half a core, each polling the database 5 times a second."""
    with start_service(db_path=service_db, api_key=TEST_API_KEY, log_path=tmp_path / "service.log",
                       extra_args=("--events-streams-per-key", "100")) as service:
        streams = []
        try:
            for n in range(100):
                status, conn, _ = open_stream(service.url, TEST_API_KEY, ALICE_ID if n % 2 else None)
                streams.append(conn)
                assert status == 200
            pid = service.process.pid
            began_cpu, began = cpu_seconds(pid), time.monotonic()
            time.sleep(3.0)  # a window to measure CPU over, not a wait for anything
            cores = (cpu_seconds(pid) - began_cpu) / (time.monotonic() - began)
            assert cores < 0.2, f"100 idle streams used {cores:.0%} of a core"
            # Idle is not asleep: a change reaches a stream following the account and one following all.
            with httpx.Client(base_url=service.url, headers={"Authorization": f"Bearer {TEST_API_KEY}"}) as client:
                assert client.post(f"/v1/accounts/{ALICE_ID}/adjustments", json={
                    "points": 5, "reason": "goodwill", "manager_pin": "135790", "manager_id": "mgr_demo"}).status_code == 201
            for conn in (streams[0], streams[1]):
                read = b""
                while b"balance_changed" not in read:
                    chunk = conn.recv(65536)
                    assert chunk, "the stream closed"
                    read += chunk
        finally:
            for conn in streams:
                conn.close()
