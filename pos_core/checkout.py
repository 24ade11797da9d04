"""The till's loyalty work, shared by the register, the kiosk and till-sim: no screens.

Identify, enrol, quote and complete a sale. It never stops the till: with the service slow or
away, customers come from the cache (shown as provisional), points are estimated from the
programme's rules, and a completed sale goes to the outbox first and to the service when it
can. The apps call these from workers and turn the errors into words.
"""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pos_core.catalog import Catalog
from pos_core.customer_cache import CustomerCache
from pos_core.loyalty_client import LoyaltyClient
from pos_core.loyalty_errors import LoyaltyUnavailable, RewardsNeedTheService
from pos_core.loyalty_errors import LoyaltyError, RequestRefused
from pos_core.email_address import InvalidEmail, checked_email
from pos_core import return_estimate
from pos_core.loyalty_models import AccountSummary, Program, Quote, Reservation, ReturnResult
from pos_core.receipt import sale_id_from_receipt
from pos_core.return_estimate import SaleForReturn
from pos_core.outbox import ANONYMOUS, Outbox, open_outbox
from pos_core.outbox_sender import OutboxSender
from pos_core.phone_number import PhoneNumber, parse_phone
from pos_core.offline_quote import offline_quote
from pos_core.sale import CompletedSale, Sale, Tender, amount_due
from pos_core.settings import Settings

CACHE_WRITE_AFTER = 0.3  # seconds from a customer's answer to their cache write


class PaymentError(ValueError):
    """Tender that cannot pay for the sale; the message says why."""


class SaleAlreadyPaid(PaymentError):
    """The sale's id is recorded as completed on this till already: it is not taken again."""


def till_dir(settings: Settings) -> Path:
    """Where this till keeps its outbox and cache (not the demo service's data)."""
    return settings.data_dir / "till" / settings.terminal_id


class Checkout:
    def __init__(
        self,
        client: LoyaltyClient,
        settings: Settings,
        *,
        outbox: Outbox | None = None,
        cache: CustomerCache | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        new_sale_id: Callable[[], str] = lambda: str(uuid.uuid4()),
    ) -> None:
        self.client = client
        self.settings = settings
        self.clock = clock
        self.new_sale_id = new_sale_id
        # A damaged outbox is moved aside (never deleted) and a fresh one opened; ``outbox_notice``
        # then says so, for the supervisor, with the command that delivers what it still holds.
        self.outbox_notice: str | None = None
        if outbox is None:
            opened = open_outbox(till_dir(settings) / "outbox.db")
            outbox, self.outbox_notice = opened.outbox, opened.notice
        self.outbox = outbox
        self.cache = cache or CustomerCache(
            till_dir(settings) / "cache.db", max_age_seconds=settings.cache_max_age_days * 24 * 3600
        )
        self.sender = OutboxSender(self.outbox, client)
        # Customers seen are written to the cache here, one at a time, off the identify path, and
        # only once their panel has had time to be drawn (CACHE_WRITE_AFTER): a write beside the
        # drawing took the interpreter from it for a few ms, the slowest lookups' tail.
        self._cache_writes = ThreadPoolExecutor(max_workers=1, thread_name_prefix="customer-cache")
        self._cache_waiting: dict[asyncio.TimerHandle, tuple[str, str, dict[str, Any]]] = {}
        self.program: Program | None = None
        self.catalog: Catalog | None = None
        # The service's holds on the points of the rewards applied to each open sale, by sale id.
        self._holds: dict[str, Reservation] = {}
        # The cashier signed on at this register (staff_sign_on.py), sent with every sale, return
        # and enrolment; None when the register does not sign cashiers on.
        self.cashier_id: str | None = None

    def _signed(self, body: dict[str, Any]) -> dict[str, Any]:
        return body | {"cashier_id": self.cashier_id} if self.cashier_id else body

    @property
    def region(self) -> str:
        return (self.program.region if self.program and self.program.region else self.settings.region).upper()

    @property
    def currency(self) -> str:
        if self.program:
            return self.program.currency
        return self.catalog.currency if self.catalog else "GBP"

    async def load_store(self) -> None:
        """The programme and the catalog: from the service, else the copies kept last time."""
        try:
            self.program = await self.client.program()
            await asyncio.to_thread(self.cache.remember_document, "program", self.program.document)
        except LoyaltyUnavailable:
            kept = await asyncio.to_thread(self.cache.recall_document, "program")
            if kept is None:
                raise
            self.program = Program.from_json(kept)
        if self.settings.catalog_file is not None:
            self.catalog = Catalog.from_csv(self.settings.catalog_file, self.program.currency)
            return
        try:
            self.catalog = await self.client.catalog()
            await asyncio.to_thread(self.cache.remember_document, "catalog", self.catalog.document or {})
        except LoyaltyUnavailable:
            kept = await asyncio.to_thread(self.cache.recall_document, "catalog")
            if not kept:
                raise
            self.catalog = Catalog.from_json(kept)

    def new_sale(self) -> Sale:
        return Sale(
            store_id=self.settings.store_id,
            terminal_id=self.settings.terminal_id,
            currency=self.currency,
            sale_id=self.new_sale_id(),
        )

    def parse_phone(self, text: str) -> PhoneNumber:
        return parse_phone(text, self.region)

    async def identify(self, method: str, value: str) -> AccountSummary:
        """Who the customer is; a phone number is checked here before any call.

        With the service away, the cached summary comes back marked provisional.
        """
        if method == "phone":
            value = self.parse_phone(value).e164
        # Which customers this till still has undelivered points for is read beside the lookup,
        # not after it: for nearly every customer there are none, and the answer goes straight on.
        pending_accounts = asyncio.ensure_future(asyncio.to_thread(self.outbox.pending_accounts))
        try:
            summary = await self.client.identify(method, value)
        except LoyaltyUnavailable:
            await asyncio.gather(pending_accounts, return_exceptions=True)
            # Read on the cache's own thread, after any write still waiting there: a customer seen
            # a moment ago is found.
            self._write_waiting_now()
            kept = await asyncio.wrap_future(self._cache_writes.submit(self.cache.recall, method, value))
            if kept is None:
                raise
            cached = AccountSummary.from_json(kept.document)
            pending = await asyncio.to_thread(self.outbox.pending_points, cached.account_id)
            return replace(cached, provisional=True, pending_points=pending)
        except BaseException:
            await asyncio.gather(pending_accounts, return_exceptions=True)
            raise
        # Kept for offline use beside the sale, not before the customer shows: a cache write
        # (a committed SQLite transaction) is not worth the cashier's wait, and it is best effort.
        self._remember_later(method, value, summary.document)
        if summary.account_id not in await pending_accounts:
            return summary
        # Counted after the answer, so a sale the sender delivered meanwhile is not counted twice.
        pending = await asyncio.to_thread(self.outbox.pending_points, summary.account_id)
        return replace(summary, pending_points=pending) if pending else summary

    async def refresh_customer(self, account_id: str) -> AccountSummary:
        """The account's summary as it stands now (after a change made elsewhere), with the
        points this till has not delivered yet."""
        summary = await self.client.account(account_id)
        pending = await asyncio.to_thread(self.outbox.pending_points, account_id)
        return replace(summary, pending_points=pending) if pending else summary

    async def adjust_points(
        self, account_id: str, *, points: int, reason: str, manager_pin: str, manager_id: str | None = None
    ) -> AccountSummary:
        """A manual adjustment, the manager's PIN checked by the service; the summary after it."""
        await self.client.adjust_points(
            account_id, points=points, reason=reason, manager_pin=manager_pin, manager_id=manager_id,
            store_id=self.settings.store_id, terminal_id=self.settings.terminal_id,
        )
        return await self.refresh_customer(account_id)

    async def enrol(
        self, *, phone: str, name: str, marketing: bool, given_at: str = "till", referral_code: str = "",
        email: str = "", email_receipts: bool = False,
    ) -> AccountSummary:
        """Enrol the customer; ``email`` (checked at the till first: InvalidEmail) and
        ``email_receipts`` for e-mailed receipts. A service that predates digital receipts refuses
        those fields as not the documented shape: the customer is enrolled without them (their
        summary then has no ``email_masked``, which the apps say)."""
        address = checked_email(email) if email.strip() else None
        if email_receipts and address is None:
            raise InvalidEmail("Type the customer's e-mail address to send their receipts by e-mail.")
        if self.program is None:
            self.program = await self.client.program()
        number = self.parse_phone(phone)
        clean_name = " ".join(name.split())
        if not clean_name:
            raise ValueError("Enter the customer's name.")
        enrolment: dict[str, Any] = dict(
            phone=number.e164,
            name=clean_name,
            terms_version=self.program.terms_version,
            marketing=marketing,
            store_id=self.settings.store_id,
            terminal_id=self.settings.terminal_id,
            given_at=given_at,
            cashier_id=self.cashier_id,
            referral_code=referral_code.strip() or None,
        )
        try:
            summary = await self.client.enrol(**enrolment, email=address, email_receipts=email_receipts)
        except RequestRefused as error:
            if address is None or error.code != "invalid_request":
                raise
            summary = await self.client.enrol(**enrolment)  # a service without digital receipts
        await asyncio.to_thread(self.cache.remember, "phone", number.e164, summary.document)
        return summary

    async def quote(self, sale: Sale) -> Quote | None:
        """The loyalty quote for this basket, or None when there is no customer or basket.

        With the service away: an estimate from the programme's rules, and no rewards (unless
        the store allows offline rewards, when the service checks them as the sale goes through).
        """
        if sale.customer is None or not sale.basket.lines:
            return None
        try:
            return await self.client.quote(
                account_id=sale.customer.account_id,
                currency=sale.currency,
                lines=sale.basket.to_json(),
                rewards=sale.rewards,
            )
        except LoyaltyUnavailable:
            if self.program is None:
                raise
            if sale.rewards and not self.offline_rewards_for(sale):
                raise RewardsNeedTheService(
                    "rewards cannot be used while the loyalty service is offline", code="offline"
                ) from None
            return self.estimate(sale)

    def offline_rewards_for(self, sale: Sale) -> bool:
        """Rewards may be used offline: the store allows it, and the customer was identified at
        this till while the service answered, so the sale carries the proof the service asks for
        when it spends points (a customer found in the till's cache carries none)."""
        return self.settings.offline_rewards and sale.customer is not None and sale.customer.presence is not None

    def estimate(self, sale: Sale) -> Quote:
        assert self.program is not None and sale.customer is not None
        return offline_quote(self.program, sale)

    async def complete(self, sale: Sale, tender: tuple[Tender, ...], quote: Quote | None) -> CompletedSale:
        """Take payment: the sale is saved with its loyalty transaction, then sent.

        Returns with the service's answer when it comes within the sale deadline, else with the
        points pending (the sender delivers them later). Raises OutboxError when the till cannot
        save the sale: then the sale is NOT done.
        """
        due = amount_due(sale, quote)
        check_tender(tender, due)
        done = self._completed_locally(sale, tender, quote)
        # A sale without a customer is queued too, so the service counts it (anonymous_sales).
        if sale.customer is not None:
            body: dict[str, Any] | None = self._signed(sale.loyalty_body(tender))
        else:
            body = self._signed(sale.anonymous_body(done.total, done.completed_at)) if sale.basket.lines else None
        hold = self._holds.get(sale.sale_id)
        if body is not None and hold is not None and self.hold_fits(sale):
            body["reservation_id"] = hold.reservation_id  # this sale redeems the held points
        expected = quote.points_earned if quote is not None else 0
        recorded = await asyncio.to_thread(
            self.outbox.record_completed,
            sale.sale_id,
            completed_at=done.completed_at,
            total=done.total,
            journal={
                "lines": sale.basket.to_json(),
                "rewards": list(sale.rewards),
                "tender": [t.to_json() for t in tender],
                "change": done.change,
            },
            account_id=sale.customer.account_id if sale.customer else None,
            body=body,
            points_expected=expected,
            kind="sale" if sale.customer is not None else ANONYMOUS,
        )
        if not recorded:
            # This very sale was paid already (a second press, a retried script): never take it twice.
            raise SaleAlreadyPaid("This sale was paid already; start the next sale.")
        self._holds.pop(sale.sale_id, None)
        if hold is not None and (body is None or "reservation_id" not in body):
            await self._release(hold)
        if sale.customer is None:
            self.sender.kick()  # nothing to wait for: it earns nothing
            return done
        assert body is not None
        result = await self.sender.wait_confirmed(sale.sale_id, timeout=self.settings.deadlines.receipt)
        if result is None:
            return replace(done, points_pending=True, points_expected=expected)
        await asyncio.to_thread(self.cache.update_balance, result.account_id, result.balance, result.created_at)
        return replace(done, total=result.total, change=result.change, loyalty=result, discounts=result.discounts)

    def _completed_locally(self, sale: Sale, tender: tuple[Tender, ...], quote: Quote | None) -> CompletedSale:
        due = amount_due(sale, quote)
        return CompletedSale(
            sale,
            tender,
            total=due,
            change=sum(t.amount for t in tender) - due,
            completed_at=self.clock().astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            discounts=quote.discounts if quote and sale.customer else (),
        )

    # -- rewards held for an open sale ---------------------------------------------------------------

    def hold_for(self, sale_id: str) -> Reservation | None:
        return self._holds.get(sale_id)

    def hold_fits(self, sale: Sale) -> bool:
        """The sale's hold is for exactly its customer and rewards."""
        hold = self._holds.get(sale.sale_id)
        return (
            hold is not None and sale.customer is not None and hold.account_id == sale.customer.account_id
            and hold.rewards == tuple(sale.rewards)
        )

    async def hold_rewards(self, sale: Sale) -> None:
        """Reserve the points of the sale's rewards, in place of any hold it had, so another till
        cannot spend them before this sale is paid (the sale redeems them). No rewards: release.

        Raises RewardNotAvailable when the points are not free (held by another till, or spent).
        Offline, a hold cannot be made: RewardsNeedTheService, unless the store allows offline
        rewards, when the sale goes without one and the service checks the points on delivery.
        """
        if sale.customer is None or not sale.rewards:
            await self.release_hold(sale.sale_id)
            return
        if self.hold_fits(sale):
            return
        previous = self._holds.get(sale.sale_id)
        try:
            hold = await self.client.reserve(
                account_id=sale.customer.account_id,
                rewards=sale.rewards,
                store_id=sale.store_id,
                terminal_id=sale.terminal_id,
                replaces=previous.reservation_id if previous else None,
                presence=sale.customer.presence,
            )
        except LoyaltyUnavailable:
            if not self.offline_rewards_for(sale):
                raise RewardsNeedTheService(
                    "rewards cannot be used while the loyalty service is offline", code="offline"
                ) from None
            # The old hold, if any, still holds its points until it expires; nothing is lost.
            self._holds.pop(sale.sale_id, None)
            return
        self._holds[sale.sale_id] = hold

    async def release_hold(self, sale_id: str) -> None:
        """Give the held points back (rewards removed, sale voided, customer gone). Best effort:
        if the service cannot be reached, the reservation simply expires by itself."""
        hold = self._holds.pop(sale_id, None)
        if hold is not None:
            await self._release(hold)

    async def _release(self, hold: Reservation) -> None:
        try:
            await self.client.release(hold.reservation_id)
        except LoyaltyError:
            pass  # away or refused: the hold expires by itself (default 15 minutes)

    # -- returns ------------------------------------------------------------------------------------

    async def sale_for_return(self, receipt: str) -> SaleForReturn:
        """The sale a receipt number (``R-<sale id>``, scanned or typed) names, with its lines and
        what came back already (this till's returns not yet confirmed included). ValueError for
        text that is not a receipt number; NotFound for a sale the service never recorded (a
        sale without a loyalty customer is not sent to it). With the service away, only a sale
        this till made itself can be found (its journal has the lines); else LoyaltyUnavailable."""
        sale_id = sale_id_from_receipt(receipt)
        if sale_id is None:
            raise ValueError("That is not a receipt number: scan the code on the receipt, or type R- and the number.")
        try:
            document = await self.client.sale_document(sale_id)
            done = await self.client.sale_returns(sale_id)
            found = return_estimate.from_service(document, done, self.currency)
        except LoyaltyUnavailable:
            own = await asyncio.to_thread(self.outbox.completed, sale_id)
            if own is None or not own["account_id"] or own["journal"].get("kind") == "return":
                raise
            found = return_estimate.from_journal(sale_id, own["account_id"], own["completed_at"], own["total"],
                                                 own["journal"], own["answer"], self.currency)
        pending = await asyncio.to_thread(self.outbox.unconfirmed_returns, sale_id)
        return return_estimate.with_unconfirmed(found, pending)

    def return_needs_manager(self, found: SaleForReturn, lines: dict[str, int]) -> str | None:
        """Why the service will ask for a manager's PIN for this return, or None (the programme's
        return_days and return_pin_above, on the till's estimate)."""
        refund = return_estimate.estimate(found, lines).refund_amount
        return return_estimate.manager_reason(self.program, found, refund, self.clock())

    async def return_items(
        self, found: SaleForReturn, lines: dict[str, int], *, return_id: str | None = None,
        manager_pin: str | None = None, manager_id: str | None = None,
    ) -> ReturnResult:
        """Return ``{sku: quantity}`` of a sale, through the outbox like a sale: kept in the
        till's records, then sent. The service's answer when it comes within the sale deadline,
        else the till's estimate (``estimated``), which the service confirms later. A return
        refused while waited on raises the service's error (nothing was refunded). ValueError when
        nothing is picked, or when a return needing a manager is asked for with the service away."""
        picked = {sku: quantity for sku, quantity in lines.items() if quantity > 0}
        if not picked:
            raise ValueError("Pick at least one item to return.")
        guess = return_estimate.estimate(found, picked)
        if found.from_till and self.return_needs_manager(found, picked):
            raise ValueError("This return needs a manager's PIN, which only the loyalty service can check:"
                             " take it when the service is back.")
        return_id = return_id or str(uuid.uuid4())
        recorded = await asyncio.to_thread(
            self.outbox.record_return, return_id,
            sale_id=found.sale_id, account_id=found.account_id,
            completed_at=self.clock().astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            refund=guess.refund_amount,
            journal={
                "lines": [{"line": line.line, "sku": line.sku, "quantity": line.quantity,
                           "refund_amount": line.refund_amount} for line in guess.lines],
                "refunds": [{"method": r.method, "amount": r.amount} for r in guess.refunds],
                "estimated": True,
            },
            body=self._signed({"lines": [{"sku": sku, "quantity": quantity} for sku, quantity in picked.items()],
                               "store_id": self.settings.store_id, "terminal_id": self.settings.terminal_id}),
        )
        if not recorded:
            own = await asyncio.to_thread(self.outbox.completed, return_id)
            if own and own["answer"] and "refused" in own["answer"]:
                raise ValueError(f"This return was refused: {own['answer']['refused']}")
        if manager_pin:
            self.sender.approve(return_id, {"manager_pin": manager_pin} | ({"manager_id": manager_id} if manager_id else {}))
        result = await self.sender.wait_confirmed(return_id, timeout=self.settings.deadlines.receipt,
                                                  parse=ReturnResult.from_json)
        if result is None:
            return replace(guess, return_id=return_id)
        await asyncio.to_thread(self.cache.update_balance, result.account_id, result.balance,
                                result.document.get("created_at"))
        return result

    def _remember_later(self, method: str, value: str, document: dict[str, Any]) -> None:
        def due() -> None:
            if (write := self._cache_waiting.pop(handle, None)) is not None:
                self._cache_writes.submit(self.cache.remember, *write)

        handle = asyncio.get_running_loop().call_later(CACHE_WRITE_AFTER, due)
        self._cache_waiting[handle] = (method, value, document)

    async def cache_written(self) -> None:
        """Every customer seen so far is in the cache: their writes are made now and waited for."""
        self._write_waiting_now()
        await asyncio.wrap_future(self._cache_writes.submit(lambda: None))  # one thread: in order

    def _write_waiting_now(self) -> None:
        for handle, write in list(self._cache_waiting.items()):
            handle.cancel()
            self._cache_writes.submit(self.cache.remember, *write)
        self._cache_waiting.clear()

    def close(self) -> None:
        self._write_waiting_now()  # the customers just seen are kept too
        self._cache_writes.shutdown(wait=True)  # written before the cache closes
        self.outbox.close()
        self.cache.close()


def check_tender(tender: tuple[Tender, ...], due: int) -> None:
    """Tender must cover the total; only cash can be more than what is due (the change)."""
    paid = sum(t.amount for t in tender)
    if paid < due:
        raise PaymentError("The payment does not cover the total.")
    card = sum(t.amount for t in tender if t.method == "card")
    if card > due:
        raise PaymentError("A card payment cannot be more than the total.")
