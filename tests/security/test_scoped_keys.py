"""A till's key opens one till: the attacks of issue 13 with two till keys (store-north/till-2 and
store-south/kiosk-9), replayed against a real service on both databases, each refused or harmless,
and the same keys still doing everything a till needs."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from httpx_sse import connect_sse

from loyalty_service.program import DEMO_PROGRAM
from pos_core.embedded_service import RunningService, start_service
from tests.conftest import TEST_API_KEY
from tests.service.api_calls import ALICE_ID, ALICE_PHONE, balance, error_code, identify, line, post_sale, sale_body
from tests.service.stored import execute
from tests.service.test_chain_security import add_key, keyed, management

NORTH = {"store_id": "store-north", "terminal_id": "till-2"}
SOUTH = {"store_id": "store-south", "terminal_id": "kiosk-9"}


@pytest.fixture
def tills(live_service: RunningService, live_db: Path | str) -> Iterator[tuple[httpx.Client, httpx.Client]]:
    north = add_key(live_db, "store-north", "till-2")
    south = add_key(live_db, "store-south", "kiosk-9")
    with keyed(live_service, north) as till_north, keyed(live_service, south) as till_south:
        yield till_north, till_south


def bread(client: httpx.Client, quantity: int = 1) -> dict:
    return line(client, "1005", quantity)


def north_sale(api: httpx.Client, till_north: httpx.Client) -> str:
    """Alice buys at store north, identified there; the sale's id."""
    assert identify(till_north, "phone", ALICE_PHONE).status_code == 200
    body = sale_body(till_north, ALICE_ID, [bread(till_north, 2)])
    sale_id = str(uuid.uuid4())
    answer = post_sale(till_north, body | NORTH, sale_id)
    assert answer.status_code == 201, answer.text
    return sale_id


def first_events(client: httpx.Client, *, params: dict | None = None, last_event_id: str | None = None) -> httpx.Response:
    headers = {"Last-Event-ID": last_event_id} if last_event_id is not None else {}
    with connect_sse(client, "GET", "/v1/events", params=params, headers=headers, timeout=5.0) as source:
        response = source.response
        if response.status_code != 200:
            response.read()  # an error's body; a stream's is left unread
        return response


def test_a_till_key_cannot_stream_every_customers_events(
    api: httpx.Client, tills: tuple[httpx.Client, httpx.Client]
) -> None:
    till_north, till_south = tills
    north_sale(api, till_north)
    # Measured: Last-Event-ID 0 gave every account's events from the start of retention.
    assert error_code(first_events(till_south, last_event_id="0")) == (403, "hq_only")
    # One customer's, by id, only while the till serves them: not served is the same as unknown.
    assert error_code(first_events(till_south, params={"account_id": ALICE_ID}, last_event_id=f"{ALICE_ID}:0")) == (
        403, "not_serving")
    assert error_code(first_events(till_south, params={"account_id": "acc_000000000000"})) == (403, "not_serving")
    # The till that serves her follows her.
    assert first_events(till_north, params={"account_id": ALICE_ID}).status_code == 200


def test_a_till_key_reads_no_other_customers_or_stores_sales(
    api: httpx.Client, tills: tuple[httpx.Client, httpx.Client]
) -> None:
    till_north, till_south = tills
    sale_id = north_sale(api, till_north)
    assert error_code(till_south.get(f"/v1/accounts/{ALICE_ID}/sales")) == (403, "not_serving")
    assert error_code(till_south.get(f"/v1/accounts/{ALICE_ID}")) == (403, "not_serving")
    assert error_code(till_south.get(f"/v1/sales/{sale_id}")) == (404, "not_found")
    assert error_code(till_south.get(f"/v1/sales/{sale_id}/returns")) == (404, "not_found")
    # Served at south (identified there), she is south's customer too: her history, not north's receipts.
    assert identify(till_south, "phone", ALICE_PHONE).status_code == 200
    assert till_south.get(f"/v1/accounts/{ALICE_ID}/sales").status_code == 200
    assert error_code(till_south.get(f"/v1/sales/{sale_id}")) == (404, "not_found")
    # North's own till sees its sale; a configured key sees everything.
    assert till_north.get(f"/v1/sales/{sale_id}").status_code == 200
    assert api.get(f"/v1/sales/{sale_id}").status_code == 200


def test_a_till_key_cannot_return_another_stores_sale(api: httpx.Client, tills: tuple[httpx.Client, httpx.Client]) -> None:
    till_north, till_south = tills
    sale_id = north_sale(api, till_north)
    before = balance(api, ALICE_ID)
    taken = till_south.post(f"/v1/sales/{sale_id}/returns", json={}, headers={"Idempotency-Key": str(uuid.uuid4())})
    assert error_code(taken) == (404, "not_found")  # measured: refunded with no manager
    assert balance(api, ALICE_ID) == before
    assert api.get(f"/v1/sales/{sale_id}/returns").json()["returns"] == []
    back = till_north.post(f"/v1/sales/{sale_id}/returns", json={}, headers={"Idempotency-Key": str(uuid.uuid4())})
    assert back.status_code == 201, back.text


def test_a_chain_that_takes_returns_anywhere_says_so_in_its_programme(
    service_db: Path | str, tmp_path: Path
) -> None:
    program = tmp_path / "program.toml"
    program.write_text("returns_any_store = true\n" + DEMO_PROGRAM.read_text())
    with start_service(db_path=service_db, api_key=TEST_API_KEY, log_path=tmp_path / "any.log",
                       extra_args=("--program", str(program))) as service:
        with keyed(service, add_key(service_db, "store-north", "till-2")) as till_north, \
                keyed(service, add_key(service_db, "store-south", "kiosk-9")) as till_south:
            with keyed(service, TEST_API_KEY) as api:
                sale_id = north_sale(api, till_north)
            # With the receipt's sale id, any store takes the return ...
            assert till_south.get(f"/v1/sales/{sale_id}").status_code == 200
            back = till_south.post(f"/v1/sales/{sale_id}/returns", json={},
                                   headers={"Idempotency-Key": str(uuid.uuid4())})
            assert back.status_code == 201, back.text
            # ... but the customer's history is still only for a till serving them.
            assert error_code(till_south.get(f"/v1/accounts/{ALICE_ID}/sales")) == (403, "not_serving")


def test_a_till_key_cannot_hold_or_spend_points_of_a_customer_who_is_not_there(
    api: httpx.Client, tills: tuple[httpx.Client, httpx.Client]
) -> None:
    _, till_south = tills
    before = balance(api, ALICE_ID)
    # Measured: any customer's points held for an hour; a sale spending them with no sign of them.
    hold = till_south.post("/v1/reservations", json={
        "account_id": ALICE_ID, "rewards": ["free-hot-drink"], "ttl_seconds": 3600, **SOUTH})
    assert error_code(hold) == (403, "presence_required")
    drink = line(till_south, "1001")
    spend = sale_body(api, ALICE_ID, [drink], rewards=["free-hot-drink"]) | SOUTH
    assert error_code(post_sale(till_south, spend)) == (403, "presence_required")
    forged = post_sale(till_south, spend | {"presence": "PRS1.1796126765.G2PUYTFTGWRFEUM2.MP74WAP5E2SZPOHQQAYOPYZSFIVERMIO"})
    assert error_code(forged) == (403, "presence_required")
    assert api.get("/v1/accounts/" + ALICE_ID).json()["balance"] == before
    # Minting the customer's app code (to identify as her) is refused too.
    assert error_code(till_south.post(f"/v1/accounts/{ALICE_ID}/qr-token", json={})) == (403, "not_serving")
    # A sale that only earns needs no proof: a till offline for a while still credits its sales.
    earns = post_sale(till_south, sale_body(api, ALICE_ID, [bread(api)]) | SOUTH)
    assert earns.status_code == 201, earns.text


def test_presence_is_for_one_customer_at_one_till_and_backs_one_sale(
    api: httpx.Client, tills: tuple[httpx.Client, httpx.Client]
) -> None:
    till_north, till_south = tills
    at_north = identify(till_north, "phone", ALICE_PHONE).json()["presence"]
    drink = line(api, "1001")
    spend = sale_body(api, ALICE_ID, [drink], rewards=["free-hot-drink"])
    # North's proof is no proof at south, nor for another customer.
    assert error_code(post_sale(till_south, spend | SOUTH | {"presence": at_north})) == (403, "presence_required")
    bob = identify(api, "phone", "020 7946 0002").json()["account_id"]
    other = sale_body(api, bob, [drink], rewards=["free-hot-drink"], tender=[]) | NORTH | {"presence": at_north}
    assert error_code(post_sale(till_north, other)) == (403, "presence_required")
    # At north it backs one sale; the same sale sent again is a replay, answered as recorded.
    sale_id = str(uuid.uuid4())
    spent = post_sale(till_north, spend | NORTH | {"presence": at_north}, sale_id)
    assert spent.status_code == 201, spent.text
    again = post_sale(till_north, spend | NORTH, sale_id)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    twice = post_sale(till_north, spend | NORTH | {"presence": at_north})
    assert error_code(twice) == (403, "presence_required")


def test_a_till_reserves_and_redeems_for_the_customer_it_identified(
    api: httpx.Client, tills: tuple[httpx.Client, httpx.Client]
) -> None:
    till_north, _ = tills
    here = identify(till_north, "phone", ALICE_PHONE).json()["presence"]
    hold = till_north.post("/v1/reservations", json={
        "account_id": ALICE_ID, "rewards": ["free-hot-drink"], "presence": here, **NORTH})
    assert hold.status_code == 201, hold.text
    reservation = hold.json()["reservation_id"]
    assert till_north.get(f"/v1/reservations/{reservation}").status_code == 200
    assert error_code(tills[1].get(f"/v1/reservations/{reservation}")) == (404, "not_found")
    assert error_code(tills[1].delete(f"/v1/reservations/{reservation}")) == (404, "not_found")
    # The hold is the proof at payment, however long the queue was.
    body = sale_body(api, ALICE_ID, [line(api, "1001")], rewards=["free-hot-drink"]) | NORTH
    paid = post_sale(till_north, body | {"reservation_id": reservation})
    assert paid.status_code == 201, paid.text
    assert paid.json()["points_redeemed"] == 150


def test_the_customers_app_code_proves_presence_for_an_offline_redemption(
    api: httpx.Client, tills: tuple[httpx.Client, httpx.Client]
) -> None:
    till_north, _ = tills
    code = api.post(f"/v1/accounts/{ALICE_ID}/qr-token", json={"ttl_seconds": 1}).json()["token"]
    body = sale_body(api, ALICE_ID, [line(api, "1001")], rewards=["free-hot-drink"]) | NORTH | {"presence": code}
    paid = post_sale(till_north, body)  # delivered later from the outbox: the code has expired by then
    assert paid.status_code == 201, paid.text
    assert error_code(post_sale(till_north, body)) == (403, "presence_required")  # one sale per code


def test_hq_keys_manage_and_serve_no_customer(api: httpx.Client, live_service: RunningService, live_db: Path | str,
                                              tills: tuple[httpx.Client, httpx.Client]) -> None:
    made = management("add-key", "--db", str(live_db), "--role", "hq")
    assert made.returncode == 0, made.stderr
    hq_key = json.loads(made.stdout)
    assert hq_key["role"] == "hq" and "store_id" not in hq_key
    assert management("add-key", "--db", str(live_db), "--role", "hq", "--store", "s1").returncode == 2
    assert management("add-key", "--db", str(live_db), "--store", "s1").returncode == 2
    with keyed(live_service, hq_key["key"]) as hq:
        assert hq.get("/v1/flags").status_code == 200
        assert error_code(identify(hq, "phone", ALICE_PHONE)) == (403, "till_only")
        assert error_code(post_sale(hq, sale_body(api, ALICE_ID, [bread(api)]))) == (403, "till_only")
        assert first_events(hq, last_event_id="0").status_code == 200
    assert error_code(tills[0].get("/v1/flags")) == (403, "hq_only")
    roles = sorted(json.loads(row)["role"] for row in management("list-keys", "--db", str(live_db)).stdout.splitlines())
    assert roles == ["hq", "till", "till"]


def test_a_database_made_before_roles_gets_them(tmp_path: Path) -> None:
    import sqlite3

    from loyalty_service.schema import SCHEMA
    from loyalty_service.sqlite_database import SqliteDatabase

    path = tmp_path / "old.db"
    old = sqlite3.connect(path)
    old.executescript(SCHEMA.replace(",\n    role TEXT NOT NULL DEFAULT 'till'", ""))
    old.execute("INSERT INTO meta (key, value) VALUES ('schema_version', '1')")
    old.execute("INSERT INTO terminal_keys VALUES ('key_old', 'h', 'store-1', 'till-1', '2026-01-01T00:00:00Z')")
    old.commit()
    old.close()
    SqliteDatabase(path).create_schema()
    check = sqlite3.connect(path)
    assert check.execute("SELECT key_id, role FROM terminal_keys").fetchall() == [("key_old", "till")]


def test_a_tills_stream_of_a_customer_ends_with_its_serving(service_db: Path | str, tmp_path: Path) -> None:
    with start_service(db_path=service_db, api_key=TEST_API_KEY, log_path=tmp_path / "streams.log",
                       extra_args=("--events-keepalive", "0.5")) as service:
        with keyed(service, add_key(service_db, "store-north", "till-2")) as till:
            assert identify(till, "phone", ALICE_PHONE).status_code == 200
            with connect_sse(till, "GET", "/v1/events", params={"account_id": ALICE_ID}, timeout=10.0) as source:
                assert source.response.status_code == 200
                frames = source.response.iter_lines()
                next(frames)  # the stream is open and served
                # Half an hour on: the till's window is over (as if the clock had moved).
                execute(service_db, "UPDATE serving SET until = 0")
                for _ in frames:  # keep-alives, until the stream ends by itself
                    pass
            assert error_code(first_events(till, params={"account_id": ALICE_ID})) == (403, "not_serving")
