"""Deliver the outbox to the loyalty service until the service has every sale and return.

One sender per till, and it is the only code that sends sales, so a sale is never in flight
twice from the same till; the Idempotency-Key (the sale id) makes any repeat harmless anyway.

Order: a customer's sales reach the service in the order they were made (a later sale of an
account never goes before an earlier one still queued); different customers' sales do not
wait for each other. So one sale the service keeps failing holds back only its own customer.

Waits: all on the monotonic clock, in memory. A sale that failed with an answer (a 5xx) waits
its own backoff (exponential, full jitter) or the service's Retry-After (at most 300 s); when
the service cannot be reached, or refuses the till's key, or says "too many requests", the
whole queue waits. After a restart every sale is due at once. A step of the wall clock changes
none of it. A sale answered with the same 5xx STUCK_AFTER times in a row is "stuck": kept,
shown, and retried at a slow pace. A sale the service refuses for good is set aside and
reported, never retried forever and never dropped.

Batches: when more than one sale may go, they go up to 100 to a request (``POST /v1/sales/batch``),
each customer's in order, and each sale's own answer in it is handled as the answer to that sale
alone. A batch with no answer (no connection, a timeout, 502-504, 429) waits as one sale would and
goes again whole (the service answers a sale it has as a replay); one the service fails as a whole
otherwise (a 500) goes again at once one sale at a time, so the sale to blame is found. A service
without batches (404 or 405 there) is sent single sales from then on.

Returns travel the same queue, in the customer's order, under their own Idempotency-Key. A
manager's PIN for a return is held here in memory only (``approve``), added to the body when it
is sent and forgotten once the service answered. A return the service refuses while a cashier
waits on it is withdrawn (nothing was refunded) and the cashier is told why; one refused later,
after the till refunded its estimate, is set aside for a person like a refused sale.

Sales without a customer (kind ``anonymous``) go one by one to ``POST /v1/anonymous-sales``, each
in a line of its own (no customer to order by), never in a batch. A service without that route
(404 or 405) keeps them queued, each retried at the slow pace; they neither count as the service
failing nor hold back any other sale.

Storage: a failure to read or write the outbox is reported (``SenderStatus.storage_error``)
and tried again later; it never ends ``run()``.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import random
import sqlite3
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from pos_core.loyalty_client import MAX_BATCH_SALES, LoyaltyClient
from pos_core.receipt_by_email import without_email_receipt
from pos_core.loyalty_errors import (
    AnonymousSalesUnsupported,
    IdempotencyConflict,
    LoyaltyAuthError,
    LoyaltyError,
    LoyaltyUnavailable,
    NotFound,
    SaleBatchesUnsupported,
)
from pos_core.loyalty_models import ReturnResult, SaleResult
from pos_core.outbox import ANONYMOUS, STUCK_AFTER, Outbox, OutboxError, PendingSale
from pos_core.staff_models import AnonymousSaleResult

log = logging.getLogger(__name__)

# Answers that say the service is not there (a proxy or gateway speaking for it).
_AWAY_STATUSES = frozenset({502, 503, 504})


def _whole_queue_waits(status: int | None) -> bool:
    """An answer that says nothing about the sales sent (not reached, a gateway saying the service
    is away, "too many requests"): the whole queue waits, one sale or a batch alike."""
    return status is None or status == 429 or status in _AWAY_STATUSES


def _reached(status: int | None) -> bool:
    """The service itself answered (a gateway's 502-504 is not the service)."""
    return status is not None and status not in _AWAY_STATUSES


@dataclass(frozen=True, slots=True)
class Backoff:
    first: float = 0.5
    longest: float = 30.0
    # A stuck sale is retried after between half this and this many seconds.
    slow: float = 120.0

    def delay(self, attempts: int, rng: random.Random) -> float:
        # Full jitter: tills that lost the service together do not come back together.
        return rng.uniform(0, min(self.longest, self.first * 2 ** min(attempts, 16)))

    def slow_delay(self, rng: random.Random) -> float:
        return rng.uniform(self.slow / 2, self.slow)


@dataclass(frozen=True, slots=True)
class SenderStatus:
    waiting: int
    reachable: bool | None  # None until the first attempt
    last_error: str | None = None
    stuck: int = 0  # sales the service keeps failing with the same 5xx (Outbox.stuck_sales())
    storage_error: str | None = None  # the outbox could not be read or written; the sender retries


@dataclass(frozen=True, slots=True)
class SetAside:
    sale_id: str
    reason: str


class _Outcome(enum.Enum):
    LEFT = "the sale left the queue"  # confirmed, or set aside
    SALE_WAITS = "this sale (and its customer's later sales) waits"
    QUEUE_WAITS = "every sale waits"


async def send_queued(
    client: LoyaltyClient, kind: str, sale_id: str, body: Mapping[str, Any], return_of: str | None
) -> SaleResult | ReturnResult | AnonymousSaleResult:
    """One outbox row to the service, by its kind: a customer's sale, a sale without a customer, or
    a return of ``return_of`` (its lines apart from where it was made). The till's sender and
    ``recover-outbox`` both send this way."""
    if kind == ANONYMOUS:
        return await client.record_anonymous_sale(sale_id, body)
    if kind == "return" and return_of:
        where = dict(body)
        lines = where.pop("lines", None)
        return await client.record_return(return_of, sale_id, lines, **where)
    return await client.record_sale(sale_id, body)


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
        monotonic: Callable[[], float] = time.monotonic,
        storage_retry: float = 5.0,
    ) -> None:
        self.outbox = outbox
        self.client = client
        self.backoff = backoff
        self.on_status = on_status
        self.on_set_aside = on_set_aside
        self.rng = rng or random.Random()
        self.monotonic = monotonic
        self.storage_retry = storage_retry
        self._wake = asyncio.Event()
        self._confirmed: dict[str, asyncio.Future[Any]] = {}
        self._approvals: dict[str, dict[str, str]] = {}  # return id -> manager_pin (and manager_id)
        # When each sale that failed may be tried again (monotonic); a sale not here is due now.
        self._due: dict[str, float] = {}
        # Before this (monotonic) only a just-made sale is tried: the service is away.
        self._queue_due = 0.0
        self._queue_failures = 0  # queue-wide failures in a row, for their backoff
        # Why the whole queue waits: "away" (not reached), "throttled" (the service's own
        # Retry-After or a 429) or "refused" (the key). Only "away" ends when the service answers.
        self._queue_reason: str | None = None
        self.reachable: bool | None = None
        self.last_error: str | None = None
        self.storage_error: str | None = None
        self._counts = (0, 0)  # (waiting, stuck) as last read, for a report while storage fails
        self.running = False

    def kick(self) -> None:
        """Something was queued, or the service may be back: look now, not after the backoff."""
        self._wake.set()

    def service_back(self) -> None:
        """The service answered (e.g. a health check): a queue that waited because the service
        was away may go now. A wait the service asked for (Retry-After, 429) or one for a refused
        key still runs, and so does a sale's own backoff after a 5xx."""
        if self._queue_reason == "away":
            self._queue_due = 0.0
            self._queue_failures = 0
            self._queue_reason = None
        self.kick()

    def approve(self, return_id: str, approval: Mapping[str, str]) -> None:
        """A manager's PIN (and id) for this return, sent with it; kept in memory only."""
        self._approvals[return_id] = dict(approval)

    async def wait_confirmed(
        self, sale_id: str, timeout: float, parse: Callable[[Mapping[str, Any]], Any] = SaleResult.from_json
    ) -> Any:
        """The service's answer for this sale (or return, with ``parse=ReturnResult.from_json``)
        if it comes within ``timeout``, else None. A return refused meanwhile raises its error."""
        try:
            answer = await asyncio.to_thread(self.outbox.loyalty_answer, sale_id)
        except OutboxError as error:
            self._storage_failed(error)
            answer = None
        if answer is not None and "refused" not in answer:
            return parse(answer)
        future = self._confirmed.setdefault(sale_id, asyncio.get_running_loop().create_future())
        if not self.running:
            # No delivery loop (a script using Checkout on its own): try once, right here.
            await self.deliver_due()
            self._confirmed.pop(sale_id, None)
            return future.result() if future.done() else None
        self.kick()
        try:
            return await asyncio.wait_for(asyncio.shield(future), timeout)
        except TimeoutError:
            # Nobody waits on it any more: it goes back to its normal turn (no longer urgent).
            if self._confirmed.get(sale_id) is future:
                del self._confirmed[sale_id]
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
            delay = await self.seconds_until_due()
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), delay)
            except TimeoutError:
                pass

    async def drain(self, timeout: float) -> bool:
        """Deliver until nothing is waiting, ignoring every wait; False if time ran out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if not await asyncio.to_thread(self.outbox.pending_heads):
                    return True
                moved = await self._round(ignore_waits=True)
            except (OutboxError, sqlite3.Error) as error:
                self._storage_failed(error)
                moved = False
            if not moved:
                await asyncio.sleep(min(0.2, max(0.0, deadline - time.monotonic())))
        try:
            return await asyncio.to_thread(self.outbox.pending_count) == 0
        except (OutboxError, sqlite3.Error) as error:
            self._storage_failed(error)
            return False

    async def deliver_due(self) -> None:
        """Send every sale that is due and first in its customer's line, until none is left."""
        try:
            await self._round(ignore_waits=False)
            self.storage_error = None
        except (OutboxError, sqlite3.Error) as error:
            self._storage_failed(error)
            self._let_waiters_go()  # nothing can be confirmed while the file fails
        self._report()

    def _let_waiters_go(self, sale_id: str | None = None) -> None:
        """Whoever waits on this sale (None: on any) will not see it confirmed soon: let them go on."""
        for waited, future in list(self._confirmed.items()):
            if sale_id is None or waited == sale_id:
                if not future.done():
                    future.set_result(None)  # type: ignore[arg-type]
                del self._confirmed[waited]

    async def seconds_until_due(self) -> float | None:
        """How long until some sale may be tried; None when nothing is queued."""
        try:
            heads = await asyncio.to_thread(self.outbox.pending_heads)
        except (OutboxError, sqlite3.Error) as error:
            self._storage_failed(error)
            return self.storage_retry
        if self.storage_error is not None:
            return self.storage_retry
        if not heads:
            return None
        now = self.monotonic()
        return max(0.0, min(0.0 if self._urgent(item) else self._due_at(item) - now for item in heads))

    async def _round(self, *, ignore_waits: bool) -> bool:
        """Try the first sale of each customer that may go; again while sales leave the queue.
        True when at least one sale left it. When more than one sale may go, the due customers'
        sales go in batches (``_send_batch``), each customer's in order up to its first return;
        a return, and every sale against a service without batches, goes on its own."""
        held: set[str] = set()  # accounts whose first sale waits: their later sales wait too
        failed_in_a_row = 0
        moved = False
        while True:
            moved_now = False
            heads = []
            for item in await asyncio.to_thread(self.outbox.pending_heads):
                if item.account_id in held:
                    continue
                if not ignore_waits and not self._is_due(item):
                    held.add(item.account_id)
                    continue
                heads.append(item)
            singles = heads
            batch = await self._next_batch(heads)
            if len(batch) > 1:
                outcome = await self._send_batch(batch, held)
                if outcome is _Outcome.QUEUE_WAITS:
                    return moved
                if outcome is not None:
                    if outcome is _Outcome.LEFT:
                        moved = moved_now = True
                    singles = [item for item in heads if item.kind != "sale"]
            for item in singles:
                if item.account_id in held:
                    continue
                outcome = await self._send(item)
                if outcome is _Outcome.LEFT:
                    moved = moved_now = True
                    failed_in_a_row = 0
                    continue  # the customer's next sale is first in line on the next pass
                held.add(item.account_id)
                if outcome is _Outcome.QUEUE_WAITS:
                    return moved
                if item.kind == ANONYMOUS and self.client.anonymous_sales is False:
                    continue  # a service that does not count them is not unwell
                failed_in_a_row += 1
                if failed_in_a_row >= 2:
                    # Different sales failing one after the other: the service is unwell, not
                    # one sale. Do not try every sale in the queue on it; all wait a while.
                    self._queue_wait(None, "away")
                    return moved
            if not moved_now:
                return moved

    async def _next_batch(self, heads: list[PendingSale]) -> list[PendingSale]:
        """The sales that go together next: the due customers' runs of sales (Outbox.pending_runs);
        none when the service takes no batches."""
        if self.client.sale_batches is False:
            return []
        accounts = [item.account_id for item in heads if item.kind == "sale"]
        if not accounts:
            return []
        return await asyncio.to_thread(self.outbox.pending_runs, accounts, MAX_BATCH_SALES)

    async def _send_batch(self, items: list[PendingSale], held: set[str]) -> _Outcome | None:
        """One attempt at several sales in one request. LEFT when at least one left the queue,
        SALE_WAITS when none did, QUEUE_WAITS as for one sale; None when these sales are to go
        one by one instead: the service has no batches, or it failed the batch as a whole in a
        way a single sale's answer would pin on one sale (a 500, a document not the contract)."""
        try:
            answers = await self.client.record_sales([(item.sale_id, item.body) for item in items])
        except asyncio.CancelledError:
            raise
        except LoyaltyAuthError as error:
            self.reachable = True
            await self._failed_all(items, error.message, None)
            self._queue_wait(None, "refused")
            return _Outcome.QUEUE_WAITS
        except LoyaltyUnavailable as error:
            status = error.status
            if _whole_queue_waits(status):
                # As for one sale: nothing to do with these sales; all wait. A batch the service
                # may have recorded goes again whole later: its sales' replays change nothing.
                self.reachable = _reached(status)
                await self._failed_all(items, error.message, None if status != 429 else status)
                self._queue_wait(error.retry_after, "away")
                return _Outcome.QUEUE_WAITS
            return None
        except SaleBatchesUnsupported:
            return None
        except Exception as error:  # a refusal of the batch as a whole (413...) or the unforeseen
            log.warning("outbox: a batch of sales failed (%s); sending them one by one", type(error).__name__)
            return None
        self._answered()
        done = [(item, answer.result) for item, answer in zip(items, answers, strict=True) if answer.result is not None]
        if done:
            await asyncio.to_thread(self.outbox.confirm_many, [(item.sale_id, result.document) for item, result in done])
            for item, result in done:
                self._left(item, result)
        waited = 0
        answered = list(zip(items, answers, strict=True))
        for index, (item, answer) in enumerate(answered):
            if answer.error is None or item.account_id in held:
                continue  # confirmed, or a later sale of a customer whose earlier one waits: not tried
            outcome = await self._failure(item, answer.error)
            if outcome is _Outcome.LEFT:
                done.append((item, None))
                continue
            held.add(item.account_id)
            waited += 1
            if outcome is _Outcome.QUEUE_WAITS:
                # The rest that failed count an attempt too (so none stays "just made", tried at once).
                rest = [later for later, a in answered[index + 1:] if a.error is not None and later.account_id not in held]
                if rest:
                    await self._failed_all(rest, answer.error.message, None)
                return outcome
        if done:
            return _Outcome.LEFT
        if waited >= 2:
            self._queue_wait(None, "away")  # different sales failing together: the service is unwell
            return _Outcome.QUEUE_WAITS
        return _Outcome.SALE_WAITS

    async def _failed_all(self, items: list[PendingSale], message: str, status: int | None) -> list[int]:
        """Attempts that failed, counted in one write (the whole of a batch that got no answer,
        or one sale); a cashier waiting on any of them goes on, with points pending. Returns each
        sale's streak of the same 5xx in a row."""
        self.last_error = message
        for item in items:
            self._let_waiters_go(item.sale_id)
        return await asyncio.to_thread(self.outbox.retry_later_many, [item.sale_id for item in items], message,
                                       status=status)

    def _due_at(self, item: PendingSale) -> float:
        return max(self._queue_due, self._due.get(item.sale_id, 0.0))

    def _is_due(self, item: PendingSale) -> bool:
        return self._urgent(item) or self._due_at(item) <= self.monotonic()

    def _urgent(self, item: PendingSale) -> bool:
        # A just-made sale, or a cashier waiting on this very sale: try it once now, whatever
        # the wait. (Only a customer's first queued sale is ever asked, so order is kept.)
        return item.attempts == 0 or (item.sale_id in self._confirmed and not self._confirmed[item.sale_id].done())

    def _queue_wait(self, retry_after: float | None, reason: str) -> None:
        wait = retry_after if retry_after is not None else self.backoff.delay(self._queue_failures, self.rng)
        self._queue_failures += 1
        self._queue_due = self.monotonic() + wait
        self._queue_reason = "throttled" if retry_after is not None else reason

    async def _deliver(self, item: PendingSale) -> SaleResult | ReturnResult | AnonymousSaleResult:
        approval = self._approvals.get(item.sale_id, {}) if item.kind == "return" else {}
        return await send_queued(self.client, item.kind, item.sale_id, {**item.body, **approval}, item.return_of)

    async def _send(self, item: PendingSale) -> _Outcome:
        """One attempt at one sale or return."""
        try:
            result = await self._deliver(item)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            return await self._failure(item, error)
        self._answered()
        await asyncio.to_thread(self.outbox.confirm, item.sale_id, result.document)
        self._left(item, result)
        return _Outcome.LEFT

    def _answered(self) -> None:
        self.reachable = True
        self.last_error = None
        self._queue_due, self._queue_failures, self._queue_reason = 0.0, 0, None

    def _left(self, item: PendingSale, result: SaleResult | ReturnResult | AnonymousSaleResult) -> None:
        """The service confirmed the sale (now off the outbox): whoever waits on it has its answer."""
        self._due.pop(item.sale_id, None)
        self._approvals.pop(item.sale_id, None)
        future = self._confirmed.pop(item.sale_id, None)
        if future is not None and not future.done():
            future.set_result(result)

    async def _failure(self, item: PendingSale, error: Exception) -> _Outcome:
        """What an attempt at one sale that failed with ``error`` (its own answer) leads to."""
        if isinstance(error, AnonymousSalesUnsupported):
            self.reachable = True
            await self._failed(item, error.message, None)
            self._due[item.sale_id] = self.monotonic() + self.backoff.slow_delay(self.rng)
            return _Outcome.SALE_WAITS
        if isinstance(error, IdempotencyConflict):
            if item.kind == "return":
                return await self._refused(item, error)
            # The service holds a different sale under this id: look at what it has.
            return await self._resolve_conflict(item)
        if isinstance(error, LoyaltyAuthError):
            # A refused key is the till's problem, not the sale's: keep it, everything waits.
            self.reachable = True
            await self._failed(item, error.message, None)
            self._queue_wait(None, "refused")
            return _Outcome.QUEUE_WAITS
        if isinstance(error, LoyaltyUnavailable):
            return await self._unavailable(item, error)
        if isinstance(error, LoyaltyError) and item.kind == "sale" and (
                plain := without_email_receipt(item.body, error)) is not None:
            # Only the e-mail was refused (a bad address, none on file): the sale goes without it.
            self.reachable = True
            log.warning("outbox: sale %s: its receipt cannot be e-mailed (%s); sent without", item.sale_id, error.code)
            return await self._send(replace(item, body=plain))
        if isinstance(error, LoyaltyError):
            self.reachable = True
            return await self._refused(item, error)
        # Anything unforeseen: this sale waits; the sender and the queue go on.
        log.error("outbox: sending a sale failed: %s", type(error).__name__)
        await self._failed(item, f"the till could not send this sale ({type(error).__name__})", None)
        self._due[item.sale_id] = self.monotonic() + self.backoff.delay(item.attempts, self.rng)
        return _Outcome.SALE_WAITS

    async def _unavailable(self, item: PendingSale, error: LoyaltyUnavailable) -> _Outcome:
        status = error.status
        self.reachable = _reached(status)
        if _whole_queue_waits(status):
            # Not reached, a gateway saying the service is away, or "too many requests": nothing
            # to do with this sale (it is not counted towards "stuck"); all wait.
            await self._failed(item, error.message, None if status != 429 else status)
            self._queue_wait(error.retry_after, "away")
            return _Outcome.QUEUE_WAITS
        streak = await self._failed(item, error.message, status)
        wait = error.retry_after if error.retry_after is not None else self.backoff.delay(item.attempts, self.rng)
        if streak >= STUCK_AFTER:
            if streak == STUCK_AFTER:
                log.warning("sale %s is stuck: the service answered %s %d times in a row", item.sale_id, status, streak)
            wait = max(wait, self.backoff.slow_delay(self.rng))
        self._due[item.sale_id] = self.monotonic() + wait
        return _Outcome.SALE_WAITS

    async def _failed(self, item: PendingSale, message: str, status: int | None) -> int:
        return (await self._failed_all([item], message, status))[0]

    async def _resolve_conflict(self, item: PendingSale) -> _Outcome:
        try:
            recorded = await self.client.sale(item.sale_id)
        except NotFound:
            await self._set_aside(item, "the service refused this sale id")
            return _Outcome.LEFT
        except LoyaltyError as error:
            await self._failed(item, error.message, None)
            self._due[item.sale_id] = self.monotonic() + self.backoff.delay(item.attempts, self.rng)
            return _Outcome.SALE_WAITS
        await self._set_aside(
            item,
            "the service holds a different sale under this id"
            f" (it credited {recorded.points_earned} points); check it by hand",
        )
        return _Outcome.LEFT

    async def _refused(self, item: PendingSale, error: LoyaltyError) -> _Outcome:
        """Refused for good: a return a cashier waits on is withdrawn and they are told why;
        anything else is set aside."""
        future = self._confirmed.get(item.sale_id)
        if item.kind == "return" and future is not None and not future.done():
            await asyncio.to_thread(self.outbox.withdraw, item.sale_id, error.message)
            self._due.pop(item.sale_id, None)
            self._approvals.pop(item.sale_id, None)
            del self._confirmed[item.sale_id]
            future.set_exception(error)
            return _Outcome.LEFT
        await self._set_aside(item, error.message)
        return _Outcome.LEFT

    async def _set_aside(self, item: PendingSale, reason: str) -> None:
        await asyncio.to_thread(self.outbox.set_aside, item.sale_id, reason)
        self._due.pop(item.sale_id, None)
        self._approvals.pop(item.sale_id, None)
        future = self._confirmed.pop(item.sale_id, None)
        if future is not None and not future.done():
            future.set_result(None)  # type: ignore[arg-type] - the waiting cashier gets "not confirmed"
        if self.on_set_aside is not None:
            self.on_set_aside(SetAside(item.sale_id, reason))

    def _storage_failed(self, error: Exception) -> None:
        message = str(error) if isinstance(error, OutboxError) else f"the till cannot use its sales file ({error})"
        if message != self.storage_error:
            log.error("outbox: %s", message)  # sqlite's words: no customer data in them
        self.storage_error = message

    def _report(self) -> None:
        try:
            self._counts = (self.outbox.pending_count(), self.outbox.stuck_count())
        except (OutboxError, sqlite3.Error) as error:
            self._storage_failed(error)
        if self.on_status is not None:
            waiting, stuck = self._counts
            self.on_status(SenderStatus(
                waiting=waiting, reachable=self.reachable, last_error=self.last_error, stuck=stuck,
                storage_error=self.storage_error,
            ))
