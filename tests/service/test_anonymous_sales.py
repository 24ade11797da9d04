"""Sales without a member against a real service on both databases: stored once per sale id, no
points, in no account's history, and nothing personal in the stored row."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx

from tests.service.api_calls import ALICE_ID, error_code, line, post_sale, sale_body
from tests.service.stored import rows


def anonymous_body(client: httpx.Client, **changes: Any) -> dict[str, Any]:
    lines = [{k: v for k, v in line(client, sku, qty).items() if k != "name"} for sku, qty in (("1001", 2), ("1005", 1))]
    return {"store_id": "demo-store", "terminal_id": "till-9", "cashier_id": "c101", "currency": "GBP",
            "lines": lines, "total": 2 * 310 + 349, "completed_at": "2026-12-01T10:00:00Z", **changes}


def post_anonymous(client: httpx.Client, body: dict[str, Any], key: str) -> httpx.Response:
    return client.post("/v1/anonymous-sales", json=body, headers={"Idempotency-Key": key})


def counts(db: Path | str) -> tuple[int, ...]:
    return tuple(rows(db, f"SELECT COUNT(*) FROM {table}")[0][0]
                 for table in ("ledger", "events", "accounts", "sales", "serving", "anonymous_sales"))


def test_an_anonymous_sale_is_stored_once_earns_nothing_and_holds_nothing_personal(
    api: httpx.Client, live_db: Path | str
) -> None:
    before = counts(live_db)
    key = str(uuid.uuid4())
    body = anonymous_body(api)
    assert body["lines"][1]["unit_price"] == 349, "the demo loaf's price changed: fix the total"
    first = post_anonymous(api, body, key)
    assert first.status_code == 201, first.text
    answer = first.json()
    assert answer == {
        "sale_id": key, "store_id": "demo-store", "terminal_id": "till-9", "cashier_id": "c101", "currency": "GBP",
        "lines": [{"sku": "1001", "category": body["lines"][0]["category"], "quantity": 2, "amount": 620},
                  {"sku": "1005", "category": body["lines"][1]["category"], "quantity": 1, "amount": 349}],
        "subtotal": 969, "total": 969, "completed_at": "2026-12-01T10:00:00Z", "created_at": answer["created_at"],
    }
    again = post_anonymous(api, body, key.upper())
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true" and again.json() == answer
    assert error_code(post_anonymous(api, anonymous_body(api, total=1), key)) == (409, "idempotency_conflict")
    # One sale id, one sale: neither kind takes the other's.
    member_body = sale_body(api, ALICE_ID, [line(api, "1001")])
    assert error_code(post_sale(api, member_body, key)) == (409, "idempotency_conflict")
    member_key = str(uuid.uuid4())
    assert post_sale(api, member_body, member_key).status_code == 201
    assert error_code(post_anonymous(api, body, member_key)) == (409, "idempotency_conflict")

    ledger, events, accounts, sales, serving, anonymous = counts(live_db)
    # The member's sale alone added a ledger row, an event and a sale; the anonymous one nothing there.
    assert (ledger, events, accounts, sales, serving, anonymous) == (
        before[0] + 1, before[1] + 1, before[2], before[3] + 1, before[4], before[5] + 1)
    stored = rows(live_db, "SELECT * FROM anonymous_sales")
    columns = [name for _, name, *_ in rows(live_db, "SELECT * FROM pragma_table_info('anonymous_sales')")] \
        if isinstance(live_db, Path) else [r[0] for r in rows(
            live_db, "SELECT column_name FROM information_schema.columns WHERE table_name = 'anonymous_sales'"
            " ORDER BY ordinal_position")]
    assert columns == ["sale_id", "request_hash", "store_id", "terminal_id", "cashier_id", "currency", "lines",
                       "subtotal", "total", "completed_at", "created_at"]
    assert len(stored) == 1 and dict(zip(columns, stored[0])) | {"request_hash": "", "created_at": ""} == {
        "sale_id": key, "request_hash": "", "store_id": "demo-store", "terminal_id": "till-9", "cashier_id": "c101",
        "currency": "GBP", "lines": '[{"sku":"1001","category":"%s","quantity":2,"amount":620},'
        '{"sku":"1005","category":"%s","quantity":1,"amount":349}]' % (body["lines"][0]["category"],
                                                                        body["lines"][1]["category"]),
        "subtotal": 969, "total": 969, "completed_at": "2026-12-01T10:00:00Z", "created_at": ""}
    assert key not in [s["sale_id"] for s in api.get(f"/v1/accounts/{ALICE_ID}/sales").json()["sales"]]
    assert error_code(api.get(f"/v1/sales/{key}")) == (404, "not_found")  # no member's sale by that id


def test_an_anonymous_sale_is_refused_without_a_key_or_in_another_currency(reader: httpx.Client) -> None:
    api = reader
    assert error_code(api.post("/v1/anonymous-sales", json=anonymous_body(api))) == (422, "invalid_request")
    assert error_code(post_anonymous(api, anonymous_body(api, currency="EUR"), str(uuid.uuid4()))) == (
        422, "currency_mismatch")
    named = anonymous_body(api)
    named["lines"][0]["name"] = "Flat white"  # no product names: only what reports count
    assert error_code(post_anonymous(api, named, str(uuid.uuid4()))) == (422, "invalid_request")
