"""Click & collect against a real service on both databases: an order earns once under either
programme setting (retried, replayed, picked up twice, the setting changed in between), a web key
posts orders and nothing else, a till of another store cannot collect, and the return of a
collected item reverses its points once."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from loyalty_service import sale_line_retention
from loyalty_service.database import open_database, write_transaction
from loyalty_service.program import DEMO_PROGRAM
from loyalty_service.terminal_keys import add_key
from pos_core.embedded_service import RunningService, start_service
from tests.conftest import TEST_API_KEY
from tests.service.api_calls import ALICE_ID, balance, error_code
from tests.service.conftest import BACKENDS, client_for, fresh_database
from tests.service.inprocess import demo_service
from tests.service.stored import rows

STORE = "demo-store"
# Sourdough loaf £3.49 x 2 and laundry pods £6.50: 1348 pence; the points are what a quote says.
LINES = [
    {"sku": "1005", "name": "Sourdough loaf", "category": "bakery", "quantity": 2, "unit_price": 349},
    {"sku": "1030", "name": "Laundry pods x24", "category": "household", "quantity": 1, "unit_price": 650},
]
PAID = 1348


def program_file(folder: Path, points_at: str) -> Path:
    path = folder / f"program-{points_at}.toml"
    demo = DEMO_PROGRAM.read_text(encoding="utf-8")
    assert 'click_and_collect_points = "at_pickup"' in demo
    path.write_text(demo.replace('click_and_collect_points = "at_pickup"', f'click_and_collect_points = "{points_at}"'))
    return path


def new_key(db: Path | str, role: str, store: str = "", terminal: str = "") -> str:
    database = open_database(db, pool_size=2)
    try:
        with database.connection() as conn, write_transaction(conn):
            return add_key(conn, store, terminal, role)[1]
    finally:
        database.close()


def keyed(service: RunningService, key: str) -> httpx.Client:
    return httpx.Client(base_url=service.url, headers={"Authorization": f"Bearer {key}"}, timeout=10)


def order_body(order_id: str, **changes: Any) -> dict[str, Any]:
    return {"order_id": order_id, "account_id": ALICE_ID, "store_id": STORE, "currency": "GBP",
            "lines": LINES, "paid_total": PAID} | changes


def quoted_points(client: httpx.Client) -> int:
    """What the lines earn Alice now, by the sale rules (the order must earn exactly that)."""
    return int(client.post("/v1/quote", json={"account_id": ALICE_ID, "lines": LINES}).json()["points_earned"])


def post_order(client: httpx.Client, body: dict[str, Any]) -> httpx.Response:
    return client.post("/v1/orders", json=body)


def look_up(till: httpx.Client, code: str) -> httpx.Response:
    return till.post("/v1/orders/lookup", json={"pickup_code": code})


def pick_up(till: httpx.Client, order: dict[str, Any]) -> httpx.Response:
    return till.post(f"/v1/orders/{order['order_id']}/pickup", json={"pickup_code": order["pickup_code"]})


def start(db: Path | str, folder: Path, points_at: str) -> RunningService:
    return start_service(db_path=db, api_key=TEST_API_KEY, log_path=folder / f"service-{points_at}.log",
                         extra_args=("--program", str(program_file(folder, points_at))))


class Chain:
    """One service of a programme setting, with a web shop's key and tills of two stores."""

    def __init__(self, service: RunningService, db: Path | str) -> None:
        self.service, self.db = service, db
        self.hq = client_for(service)
        self.web = keyed(service, new_key(db, "web"))
        self.till = keyed(service, new_key(db, "till", STORE, "till-1"))
        self.other_store = keyed(service, new_key(db, "till", "store-north", "till-2"))

    def close(self) -> None:
        for client in (self.hq, self.web, self.till, self.other_store):
            client.close()


@pytest.fixture(scope="module", params=[(b, p) for b in BACKENDS for p in ("at_order", "at_pickup")],
                ids=lambda pair: f"{pair[0]}-{pair[1]}")
def chain(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Chain, str]]:
    """A service shared by the module's tests (each uses its own order ids), per backend and setting."""
    backend, points_at = request.param
    folder = tmp_path_factory.mktemp("orders")
    db = fresh_database(backend, folder, request)
    service = start(db, folder, points_at)
    shop = Chain(service, db)
    try:
        yield shop, points_at
    finally:
        shop.close()
        service.stop()


def test_an_order_retried_replayed_and_picked_up_twice_earns_once(chain: tuple[Chain, str]) -> None:
    shop, points_at = chain
    before, points = balance(shop.hq, ALICE_ID), quoted_points(shop.hq)
    order_id = f"WEB-{uuid.uuid4().hex[:10]}"
    placed = post_order(shop.web, order_body(order_id))
    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert re.fullmatch(r"ORD-[0-9A-HJKMNP-TV-Z]{20}", order["pickup_code"])
    assert order_id not in order["pickup_code"]
    assert (order["status"], order["points_at"]) == ("open", points_at)
    earned_now = points if points_at == "at_order" else 0
    assert order["points_earned"] == (points if points_at == "at_order" else None)
    again = post_order(shop.web, order_body(order_id))  # the shop retries
    assert again.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == order
    assert balance(shop.hq, ALICE_ID) == before + earned_now

    shown = look_up(shop.till, order["pickup_code"].lower())  # typed in lower case: the same code
    assert shown.status_code == 200, shown.text
    assert shown.json()["order"]["lines"] == LINES and shown.json()["customer"]["account_id"] == ALICE_ID

    first = pick_up(shop.till, order)
    assert first.status_code == 200, first.text
    second = pick_up(shop.till, order)
    assert second.status_code == 200 and second.headers.get("Idempotent-Replayed") == "true"
    assert second.json() == first.json()
    collected = first.json()
    assert collected["order"]["status"] == "collected" and collected["order"]["points_earned"] == points
    assert collected["points_credited"] == points - earned_now
    assert collected["balance"] == before + points == balance(shop.hq, ALICE_ID)
    # A replay of the order after its pickup earns nothing either.
    assert post_order(shop.web, order_body(order_id)).json()["points_earned"] == points
    assert balance(shop.hq, ALICE_ID) == before + points


def test_another_body_under_the_same_order_id_is_refused(chain: tuple[Chain, str]) -> None:
    shop, _ = chain
    order_id = f"WEB-{uuid.uuid4().hex[:10]}"
    assert post_order(shop.web, order_body(order_id)).status_code == 201
    other = post_order(shop.web, order_body(order_id, lines=LINES[:1], paid_total=698))
    assert error_code(other) == (409, "idempotency_conflict")
    assert error_code(post_order(shop.web, order_body("WEB-x", paid_total=1))) == (422, "paid_total_mismatch")


def test_a_web_key_posts_orders_and_nothing_else(chain: tuple[Chain, str]) -> None:
    shop, _ = chain
    order = post_order(shop.web, order_body(f"WEB-{uuid.uuid4().hex[:10]}")).json()
    assert shop.web.get(f"/v1/orders/{order['order_id']}").json() == order
    for method, path, body in (
        ("GET", f"/v1/accounts/{ALICE_ID}", None), ("GET", "/v1/catalog", None), ("GET", "/v1/health", None),
        ("POST", "/v1/identify", {"method": "phone", "value": "020 7946 0001"}),
        ("POST", "/v1/orders/lookup", {"pickup_code": order["pickup_code"]}),
        ("POST", f"/v1/orders/{order['order_id']}/pickup", {"pickup_code": order["pickup_code"]}),
        ("GET", f"/v1/sales/{uuid.uuid4()}", None),
    ):
        answer = shop.web.request(method, path, json=body)
        assert error_code(answer) == (403, "web_orders_only"), (method, path)
    assert error_code(post_order(shop.till, order_body("WEB-till"))) == (403, "web_only")


def test_a_till_of_another_store_cannot_see_or_collect_the_order(chain: tuple[Chain, str]) -> None:
    shop, _ = chain
    order = post_order(shop.web, order_body(f"WEB-{uuid.uuid4().hex[:10]}")).json()
    assert error_code(look_up(shop.other_store, order["pickup_code"])) == (403, "wrong_store")
    assert error_code(pick_up(shop.other_store, order)) == (403, "wrong_store")
    guessed = order | {"pickup_code": "ORD-" + "0" * 20}
    assert error_code(pick_up(shop.till, guessed)) == (404, "not_found")
    assert error_code(look_up(shop.till, guessed["pickup_code"])) == (404, "not_found")
    assert shop.web.get(f"/v1/orders/{order['order_id']}").json()["status"] == "open"


def test_the_return_of_a_collected_item_reverses_its_points_once(chain: tuple[Chain, str]) -> None:
    shop, _ = chain
    order = post_order(shop.web, order_body(f"WEB-{uuid.uuid4().hex[:10]}")).json()
    assert look_up(shop.till, order["pickup_code"]).status_code == 200
    collected = pick_up(shop.till, order).json()
    sale_id, points = collected["order"]["sale_id"], collected["order"]["points_earned"]
    before = balance(shop.hq, ALICE_ID)
    key = str(uuid.uuid4())
    returned = [shop.till.post(f"/v1/sales/{sale_id}/returns", json={"lines": [{"sku": "1030", "quantity": 1}]},
                               headers={"Idempotency-Key": key}) for _ in range(2)]
    assert [r.status_code for r in returned] == [201, 201], returned[0].text
    assert returned[0].json() == returned[1].json()
    # 650 of 1348 eligible: the share of the points, rounded up, once.
    reversed_points = -(-points * 650 // PAID)
    assert points > 0 and reversed_points > 0
    assert (returned[0].json()["refund_amount"], returned[0].json()["points_reversed"]) == (650, reversed_points)
    assert balance(shop.hq, ALICE_ID) == before - reversed_points


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_setting_changed_between_order_and_pickup_still_earns_once(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    db = fresh_database(backend, tmp_path, request)
    placed: dict[str, dict[str, Any]] = {}
    before = points = 0

    def under(points_at: str, step: Any) -> None:
        service = start(db, tmp_path, points_at)
        shop = Chain(service, db)
        try:
            step(shop)
        finally:
            shop.close()
            service.stop()

    def first(shop: Chain) -> None:  # at_order: order A earns when placed
        nonlocal before, points
        before, points = balance(shop.hq, ALICE_ID), quoted_points(shop.hq)
        placed["A"] = post_order(shop.web, order_body("A-1")).json()
        assert balance(shop.hq, ALICE_ID) == before + points

    def second(shop: Chain) -> None:  # at_pickup now: A earns nothing more; B is placed to earn at pickup
        assert pick_up(shop.till, placed["A"]).json()["points_credited"] == 0
        placed["B"] = post_order(shop.web, order_body("B-1")).json()
        assert placed["B"]["points_at"] == "at_pickup" and balance(shop.hq, ALICE_ID) == before + points

    def third(shop: Chain) -> None:  # at_order again: B earns at its pickup, replays earn nothing
        for name in "AB":
            assert post_order(shop.web, order_body(f"{name}-1")).headers.get("Idempotent-Replayed") == "true"
        second_points = quoted_points(shop.hq)  # the tier may have moved with A's points
        assert pick_up(shop.till, placed["B"]).json()["points_credited"] == second_points > 0
        assert pick_up(shop.till, placed["B"]).json()["points_credited"] == second_points  # the replay, as given
        assert balance(shop.hq, ALICE_ID) == before + points + second_points

    under("at_order", first)
    under("at_pickup", second)
    under("at_order", third)


def test_erasing_the_customer_takes_what_they_ordered_too(chain: tuple[Chain, str]) -> None:
    shop, _ = chain
    ben = shop.hq.post("/v1/identify", json={"method": "phone", "value": "020 7946 0002"}).json()["account_id"]
    cake = {"sku": "1005", "name": "Cake for Ben's 40th", "category": "bakery", "quantity": 1, "unit_price": 349}
    order = post_order(shop.web, order_body(f"WEB-{uuid.uuid4().hex[:10]}", account_id=ben, lines=[cake],
                                            paid_total=349)).json()
    assert look_up(shop.till, order["pickup_code"]).status_code == 200
    assert pick_up(shop.till, order).status_code == 200
    assert shop.hq.post(f"/v1/accounts/{ben}/erase").status_code == 200
    kept = shop.web.get(f"/v1/orders/{order['order_id']}").json()
    assert (kept["lines"], kept["lines_removed"], kept["paid_total"], kept["status"]) == ([], "erased", 349, "collected")
    stored = rows(shop.db, "SELECT body, pickup_answer FROM orders WHERE order_id = ?", (order["order_id"],))
    assert "Ben's 40th" not in repr(stored)
    assert pick_up(shop.till, order).json()["order"]["lines"] == []  # a replay, without the lines


def test_an_order_s_lines_go_after_the_programme_s_months_like_a_sale_s(service_db: Path | str) -> None:
    with demo_service(service_db) as client:
        order = post_order(client, order_body("OLD-1")).json()
        assert client.post("/v1/orders/lookup", json={"pickup_code": order["pickup_code"]}).status_code == 200
        assert pick_up(client, order).status_code == 200
        database = open_database(service_db, pool_size=2)
        try:
            with database.connection() as conn:
                later = datetime.now(UTC) + timedelta(days=25 * 31)
                sale_line_retention.prune(conn, 24, later)
                assert sale_line_retention.prune(conn, 24, later) == 0
        finally:
            database.close()
        kept = client.get("/v1/orders/OLD-1").json()
        assert (kept["lines"], kept["lines_removed"], kept["paid_total"]) == ([], "pruned", PAID)
        assert pick_up(client, order).json()["order"]["lines_removed"] == "pruned"
