"""The calls the service tests make, each in one place."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

ALICE_PHONE = "020 7946 0001"  # Silver; 640 points of 1140 earned (docs/demo-store.md)
ALICE_ID = "acc_7f3a9c2e51d0"
NEW_PHONE = "020 7946 0999"  # kept unenrolled


def identify(client: httpx.Client, method: str, value: str) -> httpx.Response:
    return client.post("/v1/identify", json={"method": method, "value": value})


def balance(client: httpx.Client, account_id: str) -> int:
    return int(client.get(f"/v1/accounts/{account_id}").json()["balance"])


def line(client: httpx.Client, sku: str, quantity: int = 1) -> dict[str, Any]:
    """A sale line for a catalog product, as a till would send it."""
    product = next(p for p in client.get("/v1/catalog").json()["products"] if p["sku"] == sku)
    return {key: product[key] for key in ("sku", "name", "category", "unit_price")} | {"quantity": quantity}


def sale_body(
    client: httpx.Client,
    account_id: str,
    lines: list[dict[str, Any]],
    rewards: list[str] | None = None,
    tender: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A sale of these lines, paid exactly by card unless a tender is given."""
    chosen = rewards or []
    if tender is None:
        quote = client.post("/v1/quote", json={"account_id": account_id, "lines": lines, "rewards": chosen}).json()
        tender = [{"method": "card", "amount": quote["total"]}] if quote["total"] else []
    return {
        "account_id": account_id,
        "store_id": "demo-store",
        "terminal_id": "till-9",
        "currency": "GBP",
        "lines": lines,
        "rewards": chosen,
        "tender": tender,
    }


def post_sale(client: httpx.Client, body: dict[str, Any], key: str | None = None) -> httpx.Response:
    return client.post("/v1/sales", json=body, headers={"Idempotency-Key": key or str(uuid.uuid4())})


def error_code(response: httpx.Response) -> tuple[int, str]:
    """(status, error code), after checking the error has the contract's one shape."""
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "details"}, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert all(set(d) == {"field", "problem"} for d in body["error"]["details"])
    return response.status_code, body["error"]["code"]
