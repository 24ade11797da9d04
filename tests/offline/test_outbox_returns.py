"""Returns in the till's outbox: kept with the customer's sales and sent after them, in order;
refused while a cashier waits, withdrawn (nothing was refunded); refused later, set aside.
Real service, real HTTP (the sale gate in front fails chosen sales)."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import httpx
import pytest

from pos_core.embedded_service import RunningService
from pos_core.loyalty_client import LoyaltyClient
from pos_core.loyalty_errors import RequestRefused
from pos_core.loyalty_models import ReturnResult
from pos_core.outbox import Outbox
from pos_core.outbox_sender import Backoff, OutboxSender
from tests.offline.demo_sales import ALICE, queue_sale, until
from tests.offline.sale_gate import SaleGate


@pytest.fixture
def gate(live_service: RunningService):
    sale_gate = SaleGate(live_service.url)
    yield sale_gate
    sale_gate.close()


def queue_return(outbox: Outbox, sale_id: str, quantity: int = 1) -> str:
    return_id = str(uuid.uuid4())
    assert outbox.record_return(
        return_id, sale_id=sale_id, account_id=ALICE, completed_at="2026-11-22T10:05:00Z", refund=310,
        journal={"lines": [{"line": 0, "sku": "1001", "quantity": quantity, "refund_amount": 310}]},
        body={"lines": [{"sku": "1001", "quantity": quantity}], "store_id": "demo-store", "terminal_id": "till-1"},
    )
    return return_id


async def test_a_return_waits_behind_its_customer_s_sale_and_follows_it(
    live_service: RunningService, gate: SaleGate, tmp_path: Path
) -> None:
    outbox = Outbox(tmp_path / "outbox.db")
    client = LoyaltyClient(gate.url, live_service.api_key)
    sender = OutboxSender(outbox, client, backoff=Backoff(first=0.02, longest=0.1, slow=0.6))
    sale_id = str(uuid.uuid4())
    gate.fail(sale_id, 500)
    queue_sale(outbox, sale_id, ALICE)
    return_id = queue_return(outbox, sale_id)
    assert outbox.unconfirmed_returns(sale_id)[0]["lines"][0]["quantity"] == 1
    running = asyncio.create_task(sender.run())
    api = httpx.Client(base_url=live_service.url, headers={"Authorization": f"Bearer {live_service.api_key}"})
    try:
        await until(lambda: len(gate.attempts(sale_id)) >= 3, what="the sale tried and failed")
        assert outbox.pending_count() == 2 and outbox.completed(return_id)["answer"] is None
        assert api.get(f"/v1/sales/{sale_id}/returns").status_code == 404  # never sent before its sale
        gate.heal(sale_id)
        await until(lambda: outbox.pending_count() == 0, what="the sale and its return delivered")
    finally:
        running.cancel()
        await client.aclose()
    answer = outbox.completed(return_id)["answer"]
    assert (answer["return_id"], answer["sale_id"], answer["refund_amount"]) == (return_id, sale_id, 310)
    assert [r["return_id"] for r in api.get(f"/v1/sales/{sale_id}/returns").json()["returns"]] == [return_id]
    assert outbox.set_aside_sales() == []


async def test_a_refused_return_is_withdrawn_when_waited_on_and_set_aside_when_not(
    live_service: RunningService, tmp_path: Path
) -> None:
    outbox = Outbox(tmp_path / "outbox.db")
    client = LoyaltyClient(live_service.url, live_service.api_key)
    sender = OutboxSender(outbox, client, backoff=Backoff(first=0.02, longest=0.1, slow=0.6))
    sale_id = queue_sale(outbox, str(uuid.uuid4()), ALICE)
    try:
        assert await sender.wait_confirmed(sale_id, timeout=10) is not None
        waited = queue_return(outbox, sale_id, quantity=2)  # one flat white was bought
        with pytest.raises(RequestRefused) as refused:
            await sender.wait_confirmed(waited, timeout=10, parse=ReturnResult.from_json)
        assert refused.value.code == "return_quantity_exceeded"
        assert outbox.pending_count() == 0 and outbox.set_aside_sales() == []
        assert "refused" in outbox.completed(waited)["answer"]  # the till's record says it was not made
        later = queue_return(outbox, sale_id, quantity=2)  # as if taken offline and refused on delivery
        await sender.deliver_due()
        assert [s.sale_id for s in outbox.set_aside_sales()] == [later]
    finally:
        await client.aclose()
