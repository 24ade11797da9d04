"""Sales without a customer through the outbox, against a real service behind a gate: each is
delivered on its own, none holds back a member's sales or their order, and a service without
``POST /v1/anonymous-sales`` (the gate answering 404, as one from before would) keeps them queued,
retried slowly, until it counts them."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from pos_core.embedded_service import RunningService
from pos_core.loyalty_client import LoyaltyClient
from pos_core.outbox import Outbox
from pos_core.outbox_sender import Backoff, OutboxSender, SenderStatus
from tests.conftest import live_service_db
from tests.offline.demo_sales import ALICE, BEN, queue_anonymous, queue_sale, until
from tests.offline.sale_gate import SaleGate
from tests.offline.test_sender_order import gate  # noqa: F401 - the fixture
from tests.service.stored import rows


async def test_sales_without_a_customer_wait_for_a_service_that_counts_them_and_hold_back_nobody(
    live_service: RunningService, gate: SaleGate, tmp_path: Path
) -> None:
    outbox = Outbox(tmp_path / "outbox.db")
    client = LoyaltyClient(gate.url, live_service.api_key)
    statuses: list[SenderStatus] = []
    sender = OutboxSender(outbox, client, backoff=Backoff(first=0.02, longest=0.1, slow=0.6),
                          on_status=statuses.append)
    alice_1 = queue_sale(outbox, str(uuid.uuid4()), ALICE)
    anon_1 = queue_anonymous(outbox)
    alice_2 = queue_sale(outbox, str(uuid.uuid4()), ALICE)
    anon_2 = queue_anonymous(outbox)
    ben_1 = queue_sale(outbox, str(uuid.uuid4()), BEN)
    for old in (anon_1, anon_2):
        gate.fail(old, 404)  # a service from before the route
    running = asyncio.create_task(sender.run())
    try:
        await until(lambda: {alice_1, alice_2, ben_1} <= set(gate.delivered_in_order()), what="members' sales")
        await until(lambda: gate.attempts(anon_1) and gate.attempts(anon_2), what="both anonymous sales tried")
        assert client.anonymous_sales is False
        assert outbox.pending_count() == 2 and outbox.set_aside_sales() == []  # kept, not set aside
        # The whole queue does not wait on them: a new sale goes at once.
        ben_2 = queue_sale(outbox, str(uuid.uuid4()), BEN)
        sender.kick()
        await until(lambda: ben_2 in gate.delivered_in_order(), timeout=5, what="a new sale while they wait")
        await until(lambda: statuses and (statuses[-1].waiting, statuses[-1].reachable) == (2, True),
                    what="the status: two waiting, the service online")

        gate.heal(anon_1)
        gate.heal(anon_2)  # the service now counts them
        await until(lambda: outbox.pending_count() == 0, what="the anonymous sales delivered")
    finally:
        running.cancel()
        await client.aclose()
    order = gate.delivered_in_order()
    assert order.index(alice_1) < order.index(alice_2)
    assert gate.attempts(anon_1)[0] == 404 and gate.attempts(anon_1)[-1] == 201
    assert gate.requests_to("POST /v1/anonymous-sales") == len(gate.attempts(anon_1)) + len(gate.attempts(anon_2))
    db = live_service_db(tmp_path)
    assert sorted(rows(db, "SELECT sale_id, cashier_id, total FROM anonymous_sales")) == sorted(
        [(anon_1, "c101", 310), (anon_2, "c101", 310)])
    assert rows(db, f"SELECT COUNT(*) FROM sales WHERE sale_id IN ('{anon_1}', '{anon_2}')") == [(0,)]
