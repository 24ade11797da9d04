"""A day's activity at the demo store, made through the real service as tills make it (a till key,
cashiers' ids on enrolments and sales, a reward spent with the customer's presence, a sale without a
member), so the manager screen's tests compare what it shows with what they made."""

from __future__ import annotations

import sqlite3
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from pos_core.embedded_service import RunningService
from tests.conftest import live_service_db
from tests.till_keys import till_key

HOSTILE_NAME = "[red]Eve\x1b[2J"  # a cashier's name with markup and a terminal escape: data, shown as text
HOSTILE_SHOWN = "[red]Eve␛[2J"


@dataclass
class Activity:
    member_sales: int = 0
    anonymous_sales: int = 0
    rewards_cost: int = 0  # minor units: the discount the reward gave
    sale_ids: list[str] = field(default_factory=list)
    anonymous_ids: list[str] = field(default_factory=list)
    account_ids: list[str] = field(default_factory=list)  # enrolled here, by cashier

    @property
    def sales(self) -> int:
        return self.member_sales + self.anonymous_sales


def make_activity(service: RunningService, tmp_path: Path, api: httpx.Client, *, db: Path | None = None) -> Activity:
    """Two enrolments by Priya Shah (c102), one by the hostile-named c900; two member sales, one of
    them spending the "five-off" reward; one sale without a member. ``db``: the service's database
    when it is not ``live_service``'s."""
    assert api.post("/v1/staff", json={"staff_id": "c900", "name": HOSTILE_NAME, "pin": "900900"}).status_code == 201
    made = Activity()
    terms = api.get("/v1/program").json()["terms_version"]
    product = api.get("/v1/catalog").json()["products"][0]
    line = {"sku": product["sku"], "category": product["category"], "quantity": 4, "unit_price": product["unit_price"]}
    key = till_key(db or live_service_db(tmp_path), "demo-store", "till-1")
    with httpx.Client(base_url=service.url, headers={"Authorization": f"Bearer {key}"}, timeout=10) as till:
        for n, cashier in enumerate(("c102", "c102", "c900")):
            enrolled = till.post("/v1/accounts", json={
                "phone": f"+44207946{n + 980:04d}", "name": f"New Member {n}", "consent": {"terms_version": terms, "marketing": False},
                "store_id": "demo-store", "terminal_id": "till-1", "cashier_id": cashier})
            assert enrolled.status_code == 201, enrolled.text
            made.account_ids.append(enrolled.json()["account_id"])
        for phone, rewards in (("020 7946 0001", ["five-off"]), ("020 7946 0002", [])):
            found = till.post("/v1/identify", json={"method": "phone", "value": phone}).json()
            sale_id = str(uuid.uuid4())
            sold = till.post("/v1/sales", headers={"Idempotency-Key": sale_id}, json={
                "account_id": found["account_id"], "store_id": "demo-store", "terminal_id": "till-1", "currency": "GBP",
                "cashier_id": "c101", "lines": [line | {"name": product["name"]}], "rewards": rewards,
                "presence": found["presence"], "tender": [{"method": "cash", "amount": 100_000}]})
            assert sold.status_code == 201, sold.text
            made.member_sales += 1
            made.rewards_cost += sold.json()["discount_total"]
            made.sale_ids.append(sale_id)
        made.anonymous_ids.append(sell_without_member(till, line))
        made.anonymous_sales += 1
    assert made.rewards_cost > 0
    return made


def sell_without_member(client: httpx.Client, line: dict[str, Any] | None = None) -> str:
    """One sale without a member at the demo store's till-1 (``line``: the catalogue's first product);
    its id."""
    if line is None:
        product = client.get("/v1/catalog").json()["products"][0]
        line = {"sku": product["sku"], "category": product["category"], "quantity": 1, "unit_price": product["unit_price"]}
    sale_id = str(uuid.uuid4())
    sold = client.post("/v1/anonymous-sales", headers={"Idempotency-Key": sale_id}, json={
        "store_id": "demo-store", "terminal_id": "till-1", "currency": "GBP", "lines": [line],
        "total": line["quantity"] * line["unit_price"]})
    assert sold.status_code == 201, sold.text
    return sale_id


def move_to(db: Path, made: Activity, day: str) -> None:
    """Move what ``made`` recorded to ``day`` (UTC times through the morning), so a screenshot of
    the figures reads the same whenever it is taken. The service keeps no copy of these times."""
    with sqlite3.connect(db) as conn:
        for table, column, ids, hour in (("sales", "sale_id", made.sale_ids, 9), ("anonymous_sales", "sale_id", made.anonymous_ids, 10),
                                         ("accounts", "account_id", made.account_ids, 10)):
            for n, row_id in enumerate(ids):
                conn.execute(f"UPDATE {table} SET created_at = ? WHERE {column} = ?",
                             (f"{day}T{hour:02d}:{n * 10 + 5:02d}:00Z", row_id))
