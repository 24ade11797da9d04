"""One sale the service keeps failing holds back only its own customer: the others' sales go
on, it is kept and shown as stuck, retried slowly, and its customer's later sales follow it in
order once it gets through. Real service, real HTTP (a gate in front that fails one sale)."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import httpx
import pytest

from pos_core.embedded_service import RunningService
from pos_core.loyalty_client import LoyaltyClient
from pos_core.outbox import STUCK_AFTER, Outbox, next_streak
from pos_core.outbox_sender import Backoff, OutboxSender, SenderStatus
from tests.offline.demo_sales import ALICE, BEN, queue_sale, until
from tests.offline.fault_proxy import FaultProxy
from tests.offline.sale_gate import SaleGate


@pytest.fixture
def gate(live_service: RunningService):
    sale_gate = SaleGate(live_service.url)
    yield sale_gate
    sale_gate.close()


def new_id() -> str:
    return str(uuid.uuid4())


async def test_a_stuck_sale_holds_back_only_its_own_customer(live_service, gate: SaleGate, tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.db")
    client = LoyaltyClient(gate.url, live_service.api_key)
    statuses: list[SenderStatus] = []
    sender = OutboxSender(outbox, client, backoff=Backoff(first=0.02, longest=0.1, slow=0.6),
                          on_status=statuses.append)
    alice_1, ben_1, alice_2 = new_id(), new_id(), new_id()
    gate.fail(alice_1, 500)
    for sale_id, account in ((alice_1, ALICE), (ben_1, BEN), (alice_2, ALICE)):
        queue_sale(outbox, sale_id, account)
    running = asyncio.create_task(sender.run())
    try:
        await until(lambda: outbox.loyalty_answer(ben_1) is not None, what="Ben's sale delivered")
        await until(lambda: [s.sale_id for s in outbox.stuck_sales()] == [alice_1], what="Alice's sale stuck")
        assert len(gate.attempts(alice_1)) >= STUCK_AFTER and set(gate.attempts(alice_1)) == {500}
        stuck = outbox.stuck_sales()[0]
        assert (stuck.account_id, stuck.status) == (ALICE, 500)
        await until(lambda: statuses[-1].stuck == 1, what="the status to show it")

        # Still retried while stuck, and another customer's new sale is not held back by it.
        tries = len(gate.attempts(alice_1))
        ben_2 = queue_sale(outbox, new_id(), BEN)
        sender.kick()
        await until(lambda: outbox.loyalty_answer(ben_2) is not None, what="Ben's second sale delivered")
        await until(lambda: len(gate.attempts(alice_1)) > tries, what="the stuck sale retried")
        assert gate.attempts(alice_2) == []  # never sent before Alice's earlier sale
        assert outbox.pending_count() == 2 and outbox.set_aside_sales() == []  # kept, not set aside

        gate.heal(alice_1)
        await until(lambda: outbox.pending_count() == 0, what="Alice's sales delivered")
        await until(lambda: statuses[-1].stuck == 0 and statuses[-1].waiting == 0, what="the status to clear")
    finally:
        running.cancel()
        await client.aclose()
    order = gate.delivered_in_order()
    assert order == [ben_1, ben_2, alice_1, alice_2]
    assert len(gate.attempts(alice_2)) == 1  # sent once, right after Alice's first
    assert outbox.stuck_sales() == []
    api = httpx.Client(base_url=live_service.url, headers={"Authorization": f"Bearer {live_service.api_key}"})
    for sale_id in order:
        assert api.get(f"/v1/sales/{sale_id}").status_code == 200


async def test_the_service_away_makes_no_sale_stuck(live_service, tmp_path: Path) -> None:
    host, port = live_service.url.removeprefix("http://").rsplit(":", 1)
    proxy = FaultProxy(host, int(port))
    proxy.set_faults(refuse=1)
    outbox = Outbox(tmp_path / "outbox.db")
    client = LoyaltyClient(proxy.url, live_service.api_key)
    sender = OutboxSender(outbox, client)
    sale_id = queue_sale(outbox, new_id(), ALICE)
    try:
        for _ in range(STUCK_AFTER + 3):
            sender.service_back()  # as a health check would: skip the queue's wait, try again
            await sender.deliver_due()
        assert outbox.next_pending().attempts == STUCK_AFTER + 3
        assert outbox.stuck_sales() == [] and sender.reachable is False
        proxy.set_faults(**{"pass": 1})
        sender.service_back()
        await sender.deliver_due()
        assert outbox.loyalty_answer(sale_id) is not None
    finally:
        proxy.close()
        await client.aclose()


async def test_a_just_paid_sale_gets_its_try_while_the_queue_waits(live_service, tmp_path: Path) -> None:
    """The service was away, so the queue waits its backoff (a frozen clock: for ever); a new
    sale of another customer is tried at once, and the waiting one keeps its place."""
    host, port = live_service.url.removeprefix("http://").rsplit(":", 1)
    proxy = FaultProxy(host, int(port))
    proxy.set_faults(refuse=1)
    outbox = Outbox(tmp_path / "outbox.db")
    client = LoyaltyClient(proxy.url, live_service.api_key)
    sender = OutboxSender(outbox, client, backoff=Backoff(first=10, longest=10), monotonic=lambda: 1000.0)
    older = queue_sale(outbox, new_id(), ALICE)
    try:
        await sender.deliver_due()
        assert outbox.next_pending().attempts == 1
        assert await sender.seconds_until_due() > 0
        proxy.set_faults(**{"pass": 1})
        paid = queue_sale(outbox, new_id(), BEN)
        result = await sender.wait_confirmed(paid, timeout=5)
        assert result is not None and result.sale_id == paid
        assert outbox.loyalty_answer(older) is None and outbox.next_pending().sale_id == older
    finally:
        proxy.close()
        await client.aclose()


def test_only_the_same_5xx_in_a_row_counts_towards_stuck() -> None:
    assert next_streak(None, 0, 500) == 1
    assert next_streak(500, 3, 500) == 4
    assert next_streak(500, 3, 502) == 1  # a different failure starts again
    assert next_streak(500, 3, None) == 3  # not reached: nobody's fault, no change
    assert next_streak(500, 3, 429) == 0  # an answer that is not a 5xx ends it


async def test_a_gateway_saying_the_service_is_away_never_makes_a_sale_stuck(
    live_service, gate: SaleGate, tmp_path: Path
) -> None:
    """502/503/504 are "the service is away" (a proxy in front of it): everything waits, and when
    it answers again nothing has been marked stuck or held back for minutes."""
    outbox = Outbox(tmp_path / "outbox.db")
    client = LoyaltyClient(gate.url, live_service.api_key)
    now = [1000.0]
    sender = OutboxSender(outbox, client, backoff=Backoff(first=0.5, longest=2.0), monotonic=lambda: now[0])
    sale_id = queue_sale(outbox, new_id(), ALICE)
    gate.fail(sale_id, 503)
    try:
        for _ in range(STUCK_AFTER + 3):
            await sender.deliver_due()
            now[0] += 5.0
        assert len(gate.attempts(sale_id)) >= STUCK_AFTER + 1
        assert outbox.stuck_count() == 0
        gate.heal(sale_id)
        sender.service_back()
        assert await sender.seconds_until_due() == 0
        await sender.deliver_due()
        assert outbox.loyalty_answer(sale_id) is not None
    finally:
        await client.aclose()


async def test_the_service_answering_does_not_cut_short_a_wait_it_asked_for(
    live_service, gate: SaleGate, tmp_path: Path
) -> None:
    """A 429 with Retry-After: 120 is the service's own wish; a health check answering (which
    ends a wait for a service that was away) does not end this one."""
    outbox = Outbox(tmp_path / "outbox.db")
    client = LoyaltyClient(gate.url, live_service.api_key)
    now = [1000.0]
    sender = OutboxSender(outbox, client, monotonic=lambda: now[0])
    first = queue_sale(outbox, new_id(), ALICE)
    gate.fail(first, 429, Retry_After="120")
    try:
        await sender.deliver_due()
        assert gate.attempts(first) == [429]
        gate.heal(first)
        sender.service_back()  # a health check answered
        wait = await sender.seconds_until_due()
        assert wait is not None and wait > 100
        now[0] += 121
        assert await sender.seconds_until_due() == 0
        await sender.deliver_due()
        assert outbox.loyalty_answer(first) is not None
    finally:
        await client.aclose()


async def test_an_answer_that_is_not_the_contract_does_not_stop_the_sender(live_service, tmp_path: Path) -> None:
    """A proxy answering 200 with its own page for every sale: no crash, nothing lost, no "online"."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    import threading

    class NotTheContract(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802
            self.rfile.read(int(self.headers.get("content-length") or 0))
            body = b'{"ok": true}'
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), NotTheContract)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    outbox = Outbox(tmp_path / "outbox.db")
    client = LoyaltyClient(f"http://127.0.0.1:{server.server_address[1]}", live_service.api_key)
    sender = OutboxSender(outbox, client, backoff=Backoff(first=0.01, longest=0.05))
    sale_id = queue_sale(outbox, new_id(), ALICE)
    running = asyncio.create_task(sender.run())
    try:
        await until(lambda: outbox.next_pending() is not None and outbox.next_pending().attempts >= 3,
                    what="three attempts")
        assert not running.done()  # the sender is still going
        assert outbox.pending_count() == 1 and client.reachability == "offline"
    finally:
        running.cancel()
        await client.aclose()
        server.shutdown()
    assert outbox.loyalty_answer(sale_id) is None
