"""Retry waits run on the monotonic clock: stepping the wall clock a day back or forward delays
no delivery by more than the backoff ceiling. And a service's Retry-After is honoured up to
300 s, while garbage, negative, NaN or infinite values fall back to the till's own backoff."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

import pytest

from pos_core.embedded_service import RunningService
from pos_core.loyalty_client import LoyaltyClient, _retry_after
from pos_core.loyalty_errors import LoyaltyUnavailable
from pos_core.outbox import Outbox
from pos_core.outbox_sender import Backoff, OutboxSender
from tests.offline.demo_sales import ALICE, queue_sale, until
from tests.offline.fault_proxy import FaultProxy
from tests.offline.sale_gate import SaleGate

DAY = 24 * 3600


@pytest.fixture
def proxy(live_service: RunningService):
    host, port = live_service.url.removeprefix("http://").rsplit(":", 1)
    fault_proxy = FaultProxy(host, int(port))
    yield fault_proxy
    fault_proxy.close()


def step_wall_clock(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + seconds)


@pytest.mark.parametrize("step", [-DAY, DAY], ids=["back a day", "forward a day"])
async def test_a_wall_clock_step_does_not_stretch_the_wait(
    live_service, proxy: FaultProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: float
) -> None:
    """A frozen monotonic clock the test moves by hand: the wait is what the backoff said."""
    proxy.set_faults(refuse=1)
    now = [5000.0]
    outbox = Outbox(tmp_path / "outbox.db")
    client = LoyaltyClient(proxy.url, live_service.api_key)
    backoff = Backoff(first=0.5, longest=30.0)
    sender = OutboxSender(outbox, client, backoff=backoff, monotonic=lambda: now[0])
    sale_id = queue_sale(outbox, str(uuid.uuid4()), ALICE)
    try:
        for _ in range(8):  # the service away long enough for the backoff to reach its ceiling
            await sender.deliver_due()
            now[0] += backoff.longest
        await sender.deliver_due()
        step_wall_clock(monkeypatch, step)
        wait = await sender.seconds_until_due()
        assert wait is not None and 0 < wait <= backoff.longest
        now[0] += wait
        assert await sender.seconds_until_due() == 0
        proxy.set_faults(**{"pass": 1})
        await sender.deliver_due()
        assert outbox.loyalty_answer(sale_id) is not None
    finally:
        await client.aclose()


@pytest.mark.parametrize("step", [-DAY, DAY], ids=["back a day", "forward a day"])
async def test_the_running_sender_delivers_within_the_ceiling_after_a_step(
    live_service, proxy: FaultProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: float
) -> None:
    """The real loop on the real clocks: the service is away, the wall clock steps a day, the
    service comes back, and the sale is delivered within the ceiling (plus a little for work)."""
    proxy.set_faults(refuse=1)
    outbox = Outbox(tmp_path / "outbox.db")
    client = LoyaltyClient(proxy.url, live_service.api_key)
    backoff = Backoff(first=0.2, longest=1.0)
    sender = OutboxSender(outbox, client, backoff=backoff)
    sale_id = queue_sale(outbox, str(uuid.uuid4()), ALICE)
    running = asyncio.create_task(sender.run())
    try:
        await until(lambda: outbox.next_pending().attempts >= 4, what="four failed attempts")
        step_wall_clock(monkeypatch, step)
        await until(lambda: outbox.next_pending().attempts >= 5, what="an attempt after the step")
        proxy.set_faults(**{"pass": 1})
        # The bound is the ceiling's order, not the day a wall-clock wait would take: a loaded
        # machine may add seconds of work, never 86 399 s.
        await until(lambda: outbox.loyalty_answer(sale_id) is not None, timeout=30, what="delivery")
    finally:
        running.cancel()
        await client.aclose()


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("7", 7.0), (" 12 ", 12.0), ("2.5", 2.5), ("0", 0.0), ("300", 300.0), ("301", 300.0), ("86400", 300.0),
     ("9" * 400, 300.0), ("Wed, 21 Oct 2099 07:28:00 GMT", 300.0), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0)],
)
def test_retry_after_is_honoured_up_to_300_seconds(header: str, seconds: float) -> None:
    assert _retry_after(header) == seconds


@pytest.mark.parametrize(
    "header", ["inf", "Infinity", "-inf", "nan", "NaN", "-5", "1e9", "0x10", "1_0", "soon", "", "   ",
               "Mon, 99 Foo 2020", None],
)
def test_retry_after_garbage_is_ignored(header: str | None) -> None:
    assert _retry_after(header) is None


def test_an_http_date_retry_after_in_the_near_future_counts_down() -> None:
    from email.utils import format_datetime
    from datetime import UTC, datetime, timedelta

    seconds = _retry_after(format_datetime(datetime.now(UTC) + timedelta(seconds=60), usegmt=True))
    assert seconds is not None and 55 <= seconds <= 60


async def test_a_retry_after_of_inf_falls_back_to_the_backoff(live_service, tmp_path: Path) -> None:
    """Through real HTTP: a proxy answers 503 with ``Retry-After: inf``, then one of a year."""
    gate = SaleGate(live_service.url)
    outbox = Outbox(tmp_path / "outbox.db")
    client = LoyaltyClient(gate.url, live_service.api_key)
    now = [100.0]
    backoff = Backoff(first=0.5, longest=30.0)
    sender = OutboxSender(outbox, client, backoff=backoff, monotonic=lambda: now[0])
    sale_id = queue_sale(outbox, str(uuid.uuid4()), ALICE)
    try:
        gate.fail(sale_id, 503, retry_after="inf")
        with pytest.raises(LoyaltyUnavailable) as refused:
            await client.record_sale(sale_id, outbox.next_pending().body)
        assert refused.value.status == 503 and refused.value.retry_after is None
        await sender.deliver_due()
        assert 0 <= await sender.seconds_until_due() <= backoff.longest
        gate.fail(sale_id, 503, retry_after=str(365 * DAY))
        now[0] += backoff.longest
        await sender.deliver_due()
        assert await sender.seconds_until_due() == 300.0
        gate.heal(sale_id)
        now[0] += 300
        await sender.deliver_due()
        assert outbox.loyalty_answer(sale_id) is not None
    finally:
        await client.aclose()
        gate.close()
