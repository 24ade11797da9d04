"""The outbox sender sends what waits in batches (POST /v1/sales/batch), each customer's sales in
order and a return after its sale, alone; against a service without batches it falls back to
single calls. Real service, real HTTP, requests counted at the sale gate in front of it."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest

from pos_core.embedded_service import RunningService, start_service
from pos_core.loyalty_client import LoyaltyClient
from pos_core.outbox import Outbox
from pos_core.outbox_sender import Backoff, OutboxSender
from tests.conftest import TEST_API_KEY
from tests.offline.demo_sales import ALICE, BEN, CHLOE, queue_sale, sale_body
from tests.offline.sale_gate import SaleGate
from tests.offline.test_outbox_returns import queue_return

BATCH, SINGLE = "POST /v1/sales/batch", "POST /v1/sales"


def new_id() -> str:
    return str(uuid.uuid4())


def queue_mixed(outbox: Outbox, count: int = 150) -> tuple[list[str], str, str]:
    """``count`` sales of three customers in turn, a return of Alice's 10th sale (her 2nd when
    fewer) right after it, and 5 more of hers after the return: (the sales in the order queued,
    the returned sale, the return)."""
    sales: list[str] = []
    returned = return_id = ""
    for n in range(count):
        sales.append(queue_sale(outbox, new_id(), (ALICE, BEN, CHLOE)[n % 3]))
        if n == (27 if count > 30 else 3):
            returned, return_id = sales[-1], queue_return(outbox, sales[-1])
    for _ in range(5):
        sales.append(queue_sale(outbox, new_id(), ALICE))
    return sales, returned, return_id


def recorded_once(api: httpx.Client, sale_ids: list[str]) -> None:
    for sale_id in sale_ids:
        assert api.get(f"/v1/sales/{sale_id}").status_code == 200


@pytest.fixture
def gate(live_service: RunningService):
    sale_gate = SaleGate(live_service.url)
    yield sale_gate
    sale_gate.close()


async def test_queued_sales_go_in_batches_in_each_customer_s_order(
    live_service: RunningService, gate: SaleGate, tmp_path: Path
) -> None:
    outbox = Outbox(tmp_path / "outbox.db")
    sales, returned, return_id = queue_mixed(outbox)
    client = LoyaltyClient(gate.url, live_service.api_key)
    sender = OutboxSender(outbox, client, backoff=Backoff(first=0.02, longest=0.1))
    try:
        assert await sender.drain(timeout=60)
    finally:
        await client.aclose()
    assert outbox.pending_count() == 0 and outbox.set_aside_sales() == []
    assert client.sale_batches is True
    # 155 sales: Alice's first 10 with the others' (one batch of 100, then the rest), the return
    # alone once its sale is confirmed, Alice's later sales after it. Never one request a sale.
    assert gate.requests_to(SINGLE) == 0
    assert 2 <= gate.requests_to(BATCH) <= 5
    assert gate.requests_to(f"POST /v1/sales/{returned}/returns") == 1
    order = gate.delivered_in_order()
    assert sorted(order) == sorted(sales)  # each once
    for account in (ALICE, BEN, CHLOE):
        queued = [s for n, s in enumerate(sales[:150]) if (ALICE, BEN, CHLOE)[n % 3] == account]
        if account == ALICE:
            queued += sales[150:]
        assert [s for s in order if s in queued] == queued
    api = httpx.Client(base_url=live_service.url, headers={"Authorization": f"Bearer {live_service.api_key}"})
    recorded_once(api, sales)
    returns = api.get(f"/v1/sales/{returned}/returns").json()["returns"]
    assert [r["return_id"] for r in returns] == [return_id]
    # Every later sale of Alice's went after the return: the service saw the return before them.
    return_at = returns[0]["created_at"]
    assert all(api.get(f"/v1/sales/{s}").json()["created_at"] >= return_at for s in sales[150:])


async def test_a_batch_sent_again_whole_changes_nothing(live_service: RunningService, tmp_path: Path) -> None:
    """A batch whose answer was lost goes again whole: every sale's answer is then a replay."""
    outbox = Outbox(tmp_path / "outbox.db")
    sale_ids = [queue_sale(outbox, new_id(), account) for account in (ALICE, BEN, ALICE)]
    async with LoyaltyClient(live_service.url, live_service.api_key) as client:
        sales = [(item.sale_id, item.body) for item in outbox.pending_runs([ALICE, BEN], 100)]
        first = await client.record_sales(sales)
        balance = (await client.account(ALICE)).balance
        again = await client.record_sales(sales)
        assert [a.replayed for a in first] == [False] * 3 and [a.replayed for a in again] == [True] * 3
        assert [a.result for a in again] == [a.result for a in first]
        assert (await client.account(ALICE)).balance == balance
    assert sorted(s for s, _ in sales) == sorted(sale_ids)


async def test_a_service_without_batches_gets_single_calls(tmp_path: Path) -> None:
    service = start_service(db_path=tmp_path / "service" / "loyalty.db", api_key=TEST_API_KEY,
                            log_path=tmp_path / "service.log", extra_args=("--no-sale-batches",))
    gate = SaleGate(service.url)
    outbox = Outbox(tmp_path / "outbox.db")
    sales, returned, return_id = queue_mixed(outbox, 9)
    client = LoyaltyClient(gate.url, service.api_key)
    sender = OutboxSender(outbox, client, backoff=Backoff(first=0.02, longest=0.1))
    try:
        assert await sender.drain(timeout=60)
        assert client.sale_batches is False
        assert outbox.pending_count() == 0 and outbox.set_aside_sales() == []
        assert gate.requests_to(BATCH) == 1  # answered 405 once, then never asked again
        assert gate.requests_to(SINGLE) == len(sales)
        assert sorted(gate.delivered_in_order()) == sorted(sales)
        with httpx.Client(base_url=service.url, headers={"Authorization": f"Bearer {service.api_key}"}) as api:
            recorded_once(api, sales)
            assert [r["return_id"] for r in api.get(f"/v1/sales/{returned}/returns").json()["returns"]] == [return_id]
            assert api.post("/v1/sales/batch", json={"sales": []}).status_code == 405
    finally:
        await client.aclose()
        gate.close()
        service.stop()


async def test_each_sale_s_answer_in_a_batch_is_handled_as_its_own(
    live_service: RunningService, gate: SaleGate, tmp_path: Path
) -> None:
    """Confirmed, refused for good (set aside), a conflict (looked up, set aside): one request."""
    outbox = Outbox(tmp_path / "outbox.db")
    api = httpx.Client(base_url=live_service.url, headers={"Authorization": f"Bearer {live_service.api_key}"})
    taken = new_id()  # the service already holds another sale under this id
    other = sale_body(BEN) | {"tender": [{"method": "cash", "amount": 500}]}
    assert api.post("/v1/sales", json=other, headers={"Idempotency-Key": taken}).status_code == 201
    good = [queue_sale(outbox, new_id(), account) for account in (ALICE, BEN)]
    euro = new_id()
    assert outbox.record_completed(
        euro, completed_at="2026-11-22T10:00:00Z", total=310, journal={}, account_id=CHLOE,
        body=sale_body(CHLOE) | {"currency": "EUR"}, points_expected=3,
    )
    queue_sale(outbox, taken, BEN)
    good.append(queue_sale(outbox, new_id(), CHLOE))  # behind the refused one: goes all the same
    set_aside: list[str] = []
    client = LoyaltyClient(gate.url, live_service.api_key)
    sender = OutboxSender(outbox, client, on_set_aside=lambda s: set_aside.append(s.sale_id))
    try:
        assert await sender.drain(timeout=30)
    finally:
        await client.aclose()
    assert gate.requests_to(BATCH) == 1 and gate.requests_to(SINGLE) == 0
    assert sorted(set_aside) == sorted([euro, taken])
    reasons = {s.sale_id: s.reason for s in outbox.set_aside_sales()}
    assert "GBP" in reasons[euro] and "different sale" in reasons[taken]
    assert all(outbox.loyalty_answer(sale_id) is not None for sale_id in good)
    recorded_once(api, good)
    assert api.get(f"/v1/sales/{euro}").status_code == 404
