"""Live updates at the till: follow one account's server-sent events (``GET /v1/events``).

``AccountFollower(client, account_id).events()`` yields the account's events as they happen, for
as long as the caller keeps iterating (the sale session runs it while a customer is on the sale,
and cancels it when the customer changes or the sale is paid). It reconnects by itself with backoff and
``Last-Event-ID``, so nothing is missed while the link is down, and drops events it has already
seen or older ones (by the account's sequence number), so a replay never applies twice.

No screens here. ``current_summaries(checkout, account_id)`` is what the sale session uses: the
account's summary fetched again whenever the stream (re)opens or its standing changes; the session
decides whether what it shows is out of date (``standing``).
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx
import httpx_sse

from pos_core.loyalty_client import LoyaltyClient
from pos_core.loyalty_errors import LoyaltyError, LoyaltyUnavailable
from pos_core.loyalty_models import AccountSummary

if TYPE_CHECKING:
    from pos_core.checkout import Checkout

# The events that change what the register shows about a customer.
CHANGES_STANDING = frozenset({"balance_changed", "tier_changed", "reward_issued"})
CONNECTED = "connected"


@dataclass(frozen=True, slots=True)
class AccountEvent:
    account_id: str
    seq: int
    type: str
    data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def balance(self) -> int | None:
        value = self.data.get("balance")
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    @classmethod
    def from_sse(cls, sse: httpx_sse.ServerSentEvent) -> AccountEvent | None:
        """The event, or None for anything that is not one of ours (comments, junk)."""
        try:
            data = json.loads(sse.data)
            return cls(account_id=str(data["account_id"]), seq=int(data["seq"]), type=str(data["type"]), data=data)
        except (ValueError, KeyError, TypeError):
            return None


class AccountFollower:
    """One account's events, in order, each once, across reconnections."""

    def __init__(
        self,
        client: LoyaltyClient,
        account_id: str,
        *,
        after_seq: int | None = None,
        first_delay: float = 0.5,
        max_delay: float = 30.0,
        read_timeout: float = 45.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.client = client
        self.account_id = account_id
        # None: start with the next event; a number: resume after that one.
        self.last_seq = after_seq
        self.first_delay = first_delay
        self.max_delay = max_delay
        self.read_timeout = read_timeout
        self.sleep = sleep
        self.connections = 0

    @property
    def last_event_id(self) -> str | None:
        return None if self.last_seq is None else f"{self.account_id}:{self.last_seq}"

    async def events(self) -> AsyncIterator[AccountEvent]:
        """Yields a ``connected`` marker (seq 0) each time the stream opens, then the events.

        A refusal (key refused, account gone) ends it with the error; a lost or silent link is
        retried with exponential backoff and jitter.
        """
        delay = self.first_delay
        while True:
            try:
                async with self.client.event_source(
                    self.account_id, self.last_event_id, read_timeout=self.read_timeout
                ) as source:
                    self.connections += 1
                    delay = self.first_delay
                    yield AccountEvent(self.account_id, 0, CONNECTED)
                    async for sse in source.aiter_sse():
                        event = AccountEvent.from_sse(sse)
                        if event is None:
                            self._note_start(sse.id)
                            continue
                        if event.account_id != self.account_id:
                            continue
                        if self.last_seq is not None and event.seq <= self.last_seq:
                            continue  # seen already, or older: a replay after a reconnection
                        self.last_seq = event.seq
                        yield event
            except (LoyaltyUnavailable, httpx.HTTPError, httpx_sse.SSEError):
                pass
            await self.sleep(delay * random.uniform(0.8, 1.2))
            delay = min(delay * 2, self.max_delay)

    def _note_start(self, event_id: str) -> None:
        """The stream's opening frame says where it starts: resume from there if the link drops."""
        account, _, seq = event_id.rpartition(":")
        if self.last_seq is None and account == self.account_id and seq.isdigit():
            self.last_seq = int(seq)


def standing(customer: AccountSummary) -> tuple[object, ...]:
    """What a screen shows of a customer, less the time it was fetched."""
    return (customer.balance, customer.pending_points, customer.tier, customer.next_reward, customer.rewards_available)


async def current_summaries(checkout: Checkout, account_id: str) -> AsyncIterator[AccountSummary]:
    """The account's summary, fetched again each time the stream opens (to catch up on changes
    made before it did) and each time an event changes the customer's standing. Runs until the
    caller stops iterating; a refusal (key refused, account gone) ends it with the error."""
    async for event in AccountFollower(checkout.client, account_id).events():
        if event.type == CONNECTED or event.type in CHANGES_STANDING:
            try:
                yield await checkout.refresh_customer(account_id)
            except LoyaltyError:
                continue  # the next event, or the next connection, tries again

