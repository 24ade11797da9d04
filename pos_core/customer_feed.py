"""The till's customer feed: the latest customer view (pos_core/customer_view.py) and everyone
following it. No screens, no sockets: the sale session writes it, the displays read it.

- ``show(...)`` is called by the sale session on every change; a view equal to the last one is not
  sent again, so a display redraws only when something the customer sees changed.
- ``follow()`` yields the current view at once, then each newer one. A slow reader skips to the
  newest (it never queues stale baskets), and one reader's fault cannot touch the till.
- The enrolment's consent question lives here: the cashier's enrol form asks it (``ask_consent``),
  the customer answers on their display (``answer_consent``, only the question on show, once),
  and the form hears of it (``on_consent``).

Everything runs on the till's one event loop; nothing here blocks.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Any

from pos_core.customer_view import ConsentQuestion, Json, build_view
from pos_core.loyalty_models import Quote
from pos_core.sale import CompletedSale, Sale


class CustomerFeed:
    def __init__(self, *, store: str, currency: str = "GBP", training: bool = False) -> None:
        self.store = store
        self.currency = currency
        self.training = training
        self._state: dict[str, Any] = {}
        self._consent: ConsentQuestion | None = None
        self._consent_listeners: list[Callable[[ConsentQuestion], None]] = []
        self.version = 0
        self.view: Json = self._build()
        self._changed = asyncio.Event()
        self._readers = 0

    # -- what the till shows ---------------------------------------------------------------------

    def show(
        self,
        *,
        sale: Sale | None,
        quote: Quote | None = None,
        paying: bool = False,
        thanks: CompletedSale | None = None,
    ) -> None:
        """The sale as it stands (``thanks``: the sale just paid, shown until the next begins)."""
        self._state = {"sale": sale, "quote": quote, "paying": paying, "thanks": thanks}
        self._publish()

    def _build(self) -> Json:
        return build_view(store=self.store, currency=self.currency, training=self.training,
                          consent=self._consent, **self._state)

    def _publish(self) -> None:
        view = self._build()
        if {**view, "version": 0} == {**self.view, "version": 0}:
            return
        self.version += 1
        self.view = view | {"version": self.version}
        event, self._changed = self._changed, asyncio.Event()
        event.set()

    # -- following it ----------------------------------------------------------------------------

    @property
    def readers(self) -> int:
        """How many displays follow the feed now."""
        return self._readers

    async def follow(self) -> AsyncIterator[Json]:
        """The current view now, then each newer one (skipping any the reader was too slow for)."""
        self._readers += 1
        try:
            seen = -1
            while True:
                if self.version != seen:
                    seen = self.version
                    yield self.view
                    continue
                await self._changed.wait()
        finally:
            self._readers -= 1

    # -- consent on the customer's side ----------------------------------------------------------

    def ask_consent(self, *, terms_version: str, privacy_notice: str) -> ConsentQuestion:
        """Show the terms and the marketing question to the customer; a new question each time."""
        self._consent = ConsentQuestion(secrets.token_urlsafe(16), terms_version, privacy_notice)
        self._publish()
        return self._consent

    def end_consent(self, request_id: str | None = None) -> None:
        """The enrolment form closed: the question leaves the customer's screen (only the question
        ``request_id`` when given, so a form closing late cannot take down a newer one's)."""
        if self._consent is not None and request_id in (None, self._consent.request_id):
            self._consent = None
            self._publish()

    @property
    def consent(self) -> ConsentQuestion | None:
        return self._consent

    def answer_consent(self, request_id: str, *, accepted: bool, marketing: bool,
                       email_receipts: bool | None = None) -> bool:
        """The customer's tap. False (nothing changes) unless it answers the question on show,
        and it has not been answered yet. ``email_receipts``: their receipts by e-mail, when the
        page asked (None: it did not, and the answer says nothing of it)."""
        question = self._consent
        if question is None or question.answer is not None or not secrets.compare_digest(
            request_id.encode(), question.request_id.encode()
        ):
            return False
        answer = {"accepted": bool(accepted), "marketing": bool(marketing and accepted)}
        if email_receipts is not None:
            answer["email_receipts"] = bool(email_receipts and accepted)
        self._consent = replace(question, answer=answer)
        self._publish()
        for listener in list(self._consent_listeners):
            listener(self._consent)
        return True

    def on_consent(self, listener: Callable[[ConsentQuestion], None]) -> Callable[[], None]:
        """Call ``listener`` with the answered question; returns the call that stops it."""
        self._consent_listeners.append(listener)
        return lambda: self._consent_listeners.remove(listener) if listener in self._consent_listeners else None

