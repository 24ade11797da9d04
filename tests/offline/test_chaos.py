"""Sales through a network that fails in every way: each sale the till called done is on the
service exactly once, and balances moved by exactly the points of those sales."""

from __future__ import annotations

import asyncio
import random
import sqlite3
import time
from pathlib import Path

import httpx
import pytest

from pos_core.basket import Basket
from pos_core.checkout import Checkout
from pos_core.embedded_service import RunningService
from pos_core.loyalty_client import Deadlines, LoyaltyClient
from pos_core.outbox_sender import Backoff
from pos_core.sale import Tender
from pos_core.settings import Settings
from tests.offline.fault_proxy import FaultProxy

PHONES = [f"020 7946 {n:04d}" for n in range(1, 11)]


@pytest.fixture
def proxy(live_service: RunningService):
    host, port = live_service.url.removeprefix("http://").rsplit(":", 1)
    fault_proxy = FaultProxy(host, int(port), seed=7, delay=1.2)
    yield fault_proxy
    fault_proxy.close()


def faults_met(proxy: FaultProxy) -> int:
    return sum(count for fault, count in proxy.counts.items() if fault != "pass")


def balances(api: httpx.Client) -> dict[str, int]:
    found = {}
    for phone in PHONES:
        summary = api.post("/v1/identify", json={"method": "phone", "value": phone}).json()
        found[summary["account_id"]] = summary["balance"]
    return found


async def test_every_sale_done_is_on_the_service_exactly_once(live_service, proxy, tmp_path: Path) -> None:
    api = httpx.Client(base_url=live_service.url, headers={"Authorization": f"Bearer {live_service.api_key}"})
    before = balances(api)
    settings = Settings(
        api_url=proxy.url,
        api_key=live_service.api_key,
        data_dir=tmp_path / "till",
        deadlines=Deadlines(identify=0.8, quote=0.8, sale=0.8, other=2.0, receipt=0.5),
    )
    client = LoyaltyClient(proxy.url, live_service.api_key, deadlines=settings.deadlines)
    checkout = Checkout(client, settings)
    checkout.sender.backoff = Backoff(first=0.05, longest=0.4)
    await checkout.load_store()
    customers = [await checkout.identify("phone", phone) for phone in PHONES]
    products = [p for p in checkout.catalog if p.category not in ("tobacco", "gift_cards")]
    sender = asyncio.create_task(checkout.sender.run())

    proxy.set_faults(**{"pass": 3, "refuse": 1, "delay": 1, "hang": 1, "error500": 1, "error503": 1, "drop_reply": 2})
    rng = random.Random(11)
    done_ids: list[str] = []
    for _ in range(40):
        basket = Basket()
        for product in rng.sample(products, rng.randint(1, 3)):
            basket = basket.add(product, rng.randint(1, 2))
        sale = checkout.new_sale().with_basket(basket).with_customer(rng.choice(customers))
        done = await checkout.complete(sale, (Tender("card", basket.subtotal),), None)
        done_ids.append(done.sale.sale_id)  # the till showed "done": it must reach the service once
    # The sender keeps meeting faults while it retries: ten more of them, unless it got everything through.
    sold_with = faults_met(proxy)
    deadline = time.monotonic() + 60
    while faults_met(proxy) < sold_with + 10 and checkout.outbox.pending_count():
        assert time.monotonic() < deadline, f"the sender stopped trying: {proxy.counts}"
        await asyncio.sleep(0.05)
    assert faults_met(proxy) >= 10 and proxy.counts["drop_reply"] > 0, proxy.counts

    proxy.set_faults(**{"pass": 1})
    assert await checkout.sender.drain(timeout=60)
    sender.cancel()
    assert checkout.outbox.pending_count() == 0 and not checkout.outbox.set_aside_sales()
    assert client.sale_batches is True  # what queued up went in batches too (POST /v1/sales/batch)
    await client.aclose()

    credited: dict[str, int] = {}
    for sale_id in done_ids:
        recorded = api.get(f"/v1/sales/{sale_id}")
        assert recorded.status_code == 200, sale_id
        answer = recorded.json()
        credited[answer["account_id"]] = credited.get(answer["account_id"], 0) + answer["points_earned"]
    after = balances(api)
    for account_id, balance in after.items():
        assert balance == before[account_id] + credited.get(account_id, 0), account_id
    ledger = sqlite3.connect(Path(live_service.log_path).parent / "loyalty.db")
    doubles = ledger.execute(
        "SELECT sale_id FROM ledger WHERE sale_id IS NOT NULL AND kind = 'earn' GROUP BY sale_id HAVING COUNT(*) > 1"
    ).fetchall()
    assert doubles == []
    assert ledger.execute("SELECT COUNT(*) FROM sales").fetchone()[0] == len(done_ids)
