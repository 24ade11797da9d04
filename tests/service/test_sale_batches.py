"""POST /v1/sales/batch: each sale answered exactly as POST /v1/sales answers it alone (good,
refused, replayed, conflicting), in order, one bad sale failing none of the others; 1 to 100
sales; a till key held to its own store and terminal sale by sale. Real services on loopback."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from loyalty_service import sale_batches
from loyalty_service.database import open_database, write_transaction
from loyalty_service.terminal_keys import add_key
from loyalty_service.schemas import MAX_SALE_LINES
from pos_core.embedded_service import RunningService, start_service
from tests.conftest import TEST_API_KEY
from tests.service.api_calls import ALICE_ID, balance, error_code, line, sale_body
from tests.service.conftest import BACKENDS, client_for, fresh_database
from tests.service.inprocess import demo_service
from tests.till_keys import till_key

BEN_ID = "acc_e48f54a256bf"


def hq_key(db: Path | str) -> str:
    database = open_database(db, pool_size=2)
    try:
        with database.connection() as conn, write_transaction(conn):
            return add_key(conn, "", "", role="hq")[1]
    finally:
        database.close()


def new_id() -> str:
    return str(uuid.uuid4())


@pytest.fixture(params=BACKENDS)
def twins(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[httpx.Client, httpx.Client]]:
    """Two services with the same demo store: one to send a batch, one the same sales singly."""
    services: list[RunningService] = []
    try:
        for name in ("a", "b"):
            db = fresh_database(request.param, tmp_path / name, request)
            services.append(start_service(db_path=db, api_key=TEST_API_KEY, log_path=tmp_path / f"{name}.log"))
        with client_for(services[0]) as first, client_for(services[1]) as second:
            yield first, second
    finally:
        for service in services:
            service.stop()


def batch(api: httpx.Client, sales: list[dict[str, Any]], key: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else None
    return api.post("/v1/sales/batch", json={"sales": sales}, headers=headers)


def without_time(document: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k != "created_at"}


def test_each_result_is_what_the_single_call_answers(twins: tuple[httpx.Client, httpx.Client]) -> None:
    api, twin = twins
    good = sale_body(api, ALICE_ID, [line(api, "1001"), line(api, "1005", 2)], rewards=["free-hot-drink"],
                     tender=[{"method": "cash", "amount": 1000}])
    ben = sale_body(api, BEN_ID, [line(api, "1005")])
    first, later = new_id(), new_id()
    sales = [
        (first, good),
        (new_id(), {**good, "lines": []}),                                    # 422 invalid_request
        (new_id(), {**ben, "account_id": "acc_000000000000"}),                 # 404 not_found
        (new_id(), {**ben, "currency": "EUR"}),                                # 422 currency_mismatch
        (first.upper(), good),                                                 # the same sale: a replay
        (first, {**good, "tender": [{"method": "cash", "amount": 2000}]}),     # 409 idempotency_conflict
        (new_id(), {**ben, "rewards": ["five-off"], "tender": []}),            # 422: Ben has too few points
        (new_id(), ben),                                                       # goes, whatever came before
        (later, sale_body(api, ALICE_ID, [line(api, "1001")])),                # after the first: its balance
    ]
    answer = batch(api, [{**body, "sale_id": sale_id} for sale_id, body in sales])
    assert answer.status_code == 200
    results = answer.json()["results"]
    assert [r["sale_id"] for r in results] == [sale_id.lower() for sale_id, _ in sales]  # in order
    for (sale_id, body), result in zip(sales, results, strict=True):
        single = twin.post("/v1/sales", json=body, headers={"Idempotency-Key": sale_id})
        assert result["status"] == single.status_code
        assert result["replayed"] is (single.headers.get("idempotent-replayed") == "true")
        if single.status_code == 201:
            assert without_time(result["body"]) == without_time(single.json())
        else:
            error_code(single)
            assert result["body"] == single.json()
    assert [(r["status"], r["replayed"]) for r in results] == [
        (201, False), (422, False), (404, False), (422, False), (201, True), (409, False), (422, False),
        (201, False), (201, False),
    ]
    assert results[4]["body"] == results[0]["body"]  # the duplicate is the first's own answer
    assert results[8]["body"]["balance"] == results[0]["body"]["balance"] + 3  # in order: 498 + 3
    assert balance(api, ALICE_ID) == balance(twin, ALICE_ID) == 501
    assert api.get(f"/v1/sales/{later}").json() == results[8]["body"]


def test_a_batch_holds_one_to_a_hundred_sales(api: httpx.Client) -> None:
    body = sale_body(api, BEN_ID, [line(api, "1005")])
    one = batch(api, [{**body, "sale_id": new_id()}])
    assert one.status_code == 200 and [r["status"] for r in one.json()["results"]] == [201]
    hundred = batch(api, [{**body, "sale_id": new_id()} for _ in range(100)])
    assert hundred.status_code == 200 and [r["status"] for r in hundred.json()["results"]] == [201] * 100
    assert balance(api, BEN_ID) == 130 + 101 * 3
    for sales in ([], [{**body, "sale_id": new_id()} for _ in range(101)]):
        refused = batch(api, sales)
        assert error_code(refused) == (422, "invalid_request")
        assert refused.json()["error"]["details"][0]["field"] == "sales"
    assert balance(api, BEN_ID) == 130 + 101 * 3  # the 101 were refused as a whole
    # A sale without its id, or with one that is not a UUID, is refused alone.
    answer = batch(api, [body, {**body, "sale_id": "till-1-0001"}, "not a sale", {**body, "sale_id": new_id()}])
    results = answer.json()["results"]
    assert [(r["status"], r["body"]["error"]["details"][0]["field"]) for r in results[:3]] == [
        (422, "sale_id"), (422, "sale_id"), (422, "")]
    assert results[3]["status"] == 201
    assert error_code(api.post("/v1/sales/batch", content=b"{not json", headers={"Content-Type": "application/json"})) \
        == (422, "invalid_request")


def test_the_batch_body_limit_fits_a_hundred_long_sales_and_is_spent_only_on_a_key(api: httpx.Client) -> None:
    longest = {"sku": "S" * 64, "name": "N" * 200, "category": "C" * 64, "quantity": 9999, "unit_price": 10**10}
    sale = {"account_id": "A" * 64, "store_id": "S" * 64, "terminal_id": "T" * 64, "currency": "GBP",
            "lines": [longest] * MAX_SALE_LINES, "rewards": [], "tender": [{"method": "card", "amount": 10**11}],
            "sale_id": new_id()}
    assert len(json.dumps({"sales": [sale] * 100})) < sale_batches.MAX_BATCH_BODY_BYTES
    over = b'{"sales": [' + b" " * sale_batches.MAX_BATCH_BODY_BYTES + b"]}"
    assert error_code(api.post("/v1/sales/batch", content=over)) == (413, "body_too_large")
    # Under the batch's limit but over every other route's: refused for want of a key, not read.
    big = b'{"sales": [' + b" " * (2 * 1024 * 1024) + b"]}"
    unkeyed = httpx.post(f"{api.base_url}/v1/sales/batch", content=big, headers={"Content-Type": "application/json"})
    assert error_code(unkeyed) == (401, "unauthorized")
    assert error_code(api.post("/v1/sales", content=big, headers={"Idempotency-Key": new_id()})) \
        == (413, "body_too_large")


def test_a_till_key_is_held_to_its_own_store_and_terminal_sale_by_sale(
    api: httpx.Client, live_db: Path | str
) -> None:
    key = till_key(live_db, "demo-store", "till-1")
    own = sale_body(api, BEN_ID, [line(api, "1005")]) | {"terminal_id": "till-1"}
    results = batch(api, [
        {**own, "sale_id": new_id()},
        {**own, "terminal_id": "till-2", "sale_id": new_id()},
        {**own, "rewards": ["free-hot-drink"], "sale_id": new_id()},  # points, and no proof Ben is here
        {**own, "sale_id": new_id()},
    ], key).json()["results"]
    assert [(r["status"], r["body"].get("error", {}).get("code")) for r in results] == [
        (201, None), (403, "wrong_terminal"), (403, "presence_required"), (201, None)]
    assert error_code(batch(api, [{**own, "sale_id": new_id()}], "not-a-key-0123456789abcdef")) == (401, "unauthorized")
    assert error_code(batch(api, [{**own, "sale_id": new_id()}], hq_key(live_db))) == (403, "till_only")
    assert balance(api, BEN_ID) == 130 + 2 * 3


def test_the_route_is_in_openapi(reader: httpx.Client) -> None:
    document = reader.get("/openapi.json").json()
    route = document["paths"]["/v1/sales/batch"]["post"]
    item = route["requestBody"]["content"]["application/json"]["schema"]["properties"]["sales"]["items"]
    assert {"sale_id", "account_id", "lines", "tender"} <= set(item["properties"]) and "sale_id" in item["required"]
    assert route["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/SaleBatch")
    assert {"401", "403", "413", "422"} <= set(route["responses"])


def test_an_unexpected_failure_holds_back_only_its_customer_s_later_sales(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = new_id()
    real = sale_batches.take_sale

    def failing(db, program, holder, sale_id, body, flags, **options):  # type: ignore[no-untyped-def]
        if sale_id == broken:
            raise RuntimeError("a fault in recording this one sale")
        return real(db, program, holder, sale_id, body, flags, **options)

    monkeypatch.setattr(sale_batches, "take_sale", failing)
    with demo_service(tmp_path / "loyalty.db") as api:
        alice, ben = sale_body(api, ALICE_ID, [line(api, "1001")]), sale_body(api, BEN_ID, [line(api, "1005")])
        sent = [(new_id(), alice), (broken, alice), (new_id(), ben), (new_id(), alice)]
        results = batch(api, [{**body, "sale_id": sale_id} for sale_id, body in sent]).json()["results"]
        assert [(r["status"], r["body"].get("error", {}).get("code")) for r in results] == [
            (201, None), (500, "internal_error"), (201, None), (500, "internal_error")]
        assert api.get(f"/v1/sales/{sent[3][0]}").status_code == 404  # not recorded before the broken one
        assert balance(api, ALICE_ID) == 643 and balance(api, BEN_ID) == 133
