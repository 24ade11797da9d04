"""Deliver the outbox to the loyalty service, in order, until the service has every sale.

One sender per till, and it is the only code that sends sales, so a sale is never in flight
twice from the same till; the Idempotency-Key (the sale id) makes any repeat harmless anyway.
A sale that cannot be delivered now waits with exponential backoff and full jitter, or for the
service's own Retry-After; a sale the service refuses for good is set aside and reported, never
retried forever and never dropped.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from pos_core.loyalty_client import LoyaltyClient
from pos_core.loyalty_errors import IdempotencyConflict, LoyaltyAuthError, LoyaltyError, LoyaltyUnavailable, NotFound
from pos_core.loyalty_models import SaleResult
from pos_core.outbox import Outbox, PendingSale


@dataclass(frozen=True, slots=True)
class Backoff:
    first: float = 0.5
    longest: float = 30.0

    def delay(self, attempts: int, rng: random.Random) -> float:
        # Full jitter: tills that lost the service together do not come back together.
        return rng.uniform(0, min(self.longest, self.first * 2 ** min(attempts, 16)))


@dataclass(frozen=True, slots=True)
class SenderStatus:
    waiting: int
    reachable: bool | None  # None until the first attempt
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class SetAside:
    sale_id: str
    reason: str


class OutboxSender:
    def __init__(
        self,
        outbox: Outbox,
        client: LoyaltyClient,
        *,
        backoff: Backoff = Backoff(),
        on_status: Callable[[SenderStatus], None] | None = None,
        on_set_aside: Callable[[SetAside], None] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.outbox = outbox
        self.client = client
        self.backoff = backoff
        self.on_status = on_status
        self.on_set_aside = on_set_aside
        self.rng = rng or random.Random()
        self._wake = asyncio.Event()
        self._confirmed: dict[str, asyncio.Future[SaleResult]] = {}
        self.reachable: bool | None = None
        self.running = False

    def kick(self) -> None:
        """Something was queued, or the service may be back: look now, not after the backoff."""
        self._wake.set()

    async def wait_confirmed(self, sale_id: str, timeout: float) -> SaleResult | None:
        """The service's answer for this sale if it comes within ``timeout``, else None."""
        answer = await asyncio.to_thread(self.outbox.loyalty_answer, sale_id)
        if answer is not None:
            return SaleResult.from_json(answer)
        future = self._confirmed.setdefault(sale_id, asyncio.get_running_loop().create_future())
        if not self.running:
            # No delivery loop (a script using Checkout on its own): try once, right here.
            await self.deliver_due()
            return future.result() if future.done() else None
        self.kick()
        try:
            return await asyncio.wait_for(asyncio.shield(future), timeout)
        except TimeoutError:
            return None

    async def run(self) -> None:
        """Deliver forever (the app's worker, or till-sim's task)."""
        self.running = True
        try:
            await self._deliver_forever()
        finally:
            self.running = False

    async def _deliver_forever(self) -> None:
        while True:
            await self.deliver_due()
            delay = await self._seconds_until_due()
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), delay)
            except TimeoutError:
                pass

    async def drain(self, timeout: float) -> bool:
        """Deliver until nothing is waiting, ignoring backoff; False if time ran out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            item = await asyncio.to_thread(self.outbox.next_pending)
            if item is None:
                return True
            if not await self._send(item):
                await asyncio.sleep(min(0.2, max(0.0, deadline - time.monotonic())))
        return await asyncio.to_thread(self.outbox.pending_count) == 0

    async def deliver_due(self) -> None:
        """Send sales in order while the head of the queue is due and gets through."""
        while True:
            item = await asyncio.to_thread(self.outbox.next_pending)
            if item is None or item.next_attempt_at > time.time() and not self._urgent(item):
                break
            if not await self._send(item):
                break
        # Whoever still waits on a sale now will not see it confirmed soon: let them go on.
        for sale_id, future in list(self._confirmed.items()):
            if not future.done():
                future.set_result(None)  # type: ignore[arg-type]
            del self._confirmed[sale_id]
        self._report()

    def _urgent(self, item: PendingSale) -> bool:
        # A cashier is waiting on this very sale: try it once now, whatever the backoff says.
        return item.attempts == 0 or (item.sale_id in self._confirmed and not self._confirmed[item.sale_id].done())

    async def _seconds_until_due(self) -> float | None:
        item = await asyncio.to_thread(self.outbox.next_pending)
        if item is None:
            return None
        return max(0.0, item.next_attempt_at - time.time())

    async def _send(self, item: PendingSale) -> bool:
        """One attempt; True when the sale left the queue (confirmed or set aside)."""
        try:
            result = await self.client.record_sale(item.sale_id, item.body)
        except IdempotencyConflict:
            # The service holds a different sale under this id: look at what it has.
            return await self._resolve_conflict(item)
        except (LoyaltyUnavailable, LoyaltyAuthError) as error:
            # A refused key is the till's problem, not the sale's: keep it and keep trying.
            self.reachable = isinstance(error, LoyaltyAuthError)
            wait = getattr(error, "retry_after", None)
            if wait is None:
                wait = self.backoff.delay(item.attempts, self.rng)
            await asyncio.to_thread(self.outbox.retry_later, item.sale_id, time.time() + wait, error.message)
            return False
        except LoyaltyError as error:
            self.reachable = True
            await self._set_aside(item, error.message)
            return True
        self.reachable = True
        await asyncio.to_thread(self.outbox.confirm, item.sale_id, result.document)
        future = self._confirmed.pop(item.sale_id, None)
        if future is not None and not future.done():
            future.set_result(result)
        return True

    async def _resolve_conflict(self, item: PendingSale) -> bool:
        try:
            recorded = await self.client.sale(item.sale_id)
        except NotFound:
            await self._set_aside(item, "the service refused this sale id")
            return True
        except LoyaltyError as error:
            await asyncio.to_thread(
                self.outbox.retry_later, item.sale_id, time.time() + self.backoff.delay(item.attempts, self.rng), error.message
            )
            return False
        await self._set_aside(
            item,
            "the service holds a different sale under this id"
            f" (it credited {recorded.points_earned} points); check it by hand",
        )
        return True

    async def _set_aside(self, item: PendingSale, reason: str) -> None:
        await asyncio.to_thread(self.outbox.set_aside, item.sale_id, reason)
        future = self._confirmed.pop(item.sale_id, None)
        if future is not None and not future.done():
            future.set_result(None)  # type: ignore[arg-type] - the waiting cashier gets "not confirmed"
        if self.on_set_aside is not None:
            self.on_set_aside(SetAside(item.sale_id, reason))

    def _report(self) -> None:
        if self.on_status is not None:
            self.on_status(SenderStatus(waiting=self.outbox.pending_count(), reachable=self.reachable))

