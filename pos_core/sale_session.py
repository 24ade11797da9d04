"""One sale at a till, as the register and the kiosk both run it: no screens.

The session owns the sale while it changes (basket, customer, rewards), its loyalty quote, the
hold on the points of its rewards, the live follow of its customer's account and every fall-back
when the service is away. The register and the kiosk are views of it: they call its methods,
redraw on ``on_change`` and put the ``Notice``s it raises into their own words. Every rule about a
sale lives here once:

- a change of basket, customer or rewards drops the quote and fetches a new one in the
  background; a reward that no longer fits (or cannot be used offline) is taken off and said;
- the rewards' points are held while the sale is open and given back when the rewards, the
  customer or the sale go;
- while a customer is on the sale, points changed elsewhere show at once (live updates), except
  while this sale itself is being paid;
- the total taken at payment is the service's (or the offline estimate), never a guess, and
  from ``begin_payment`` until the payment is done or abandoned the sale is frozen: nothing
  scanned, presented or pushed by live updates changes what is being paid for;
- an unknown phone number is offered enrolment (``sign_in``); an unknown card or code is not.

Background work runs as asyncio tasks the session owns; none of them lets an error out (a fault
becomes a ``Notice`` or is dropped, and selling goes on). ``close()`` cancels them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, replace
from typing import Any

from pos_core.basket import Basket
from pos_core.checkout import Checkout
from pos_core.item_entry import InvalidItemEntry, parse_item_entry
from pos_core.live_updates import current_summaries, standing
from pos_core.checkout import PaymentError
from pos_core.customer_feed import CustomerFeed
from pos_core.customer_view import sale_begun
from pos_core.loyalty_errors import LoyaltyError, RewardNotAvailable, RewardsNeedTheService, UnknownCustomer
from pos_core.loyalty_models import AccountSummary, Quote
from pos_core.pickup_order import OrderAtTill, OrderPickup, PickupOrder
from pos_core.money import format_money
from pos_core.receipt_by_email import takes_email_receipt
from pos_core.sale import CompletedSale, Sale, Tender, amount_due
from pos_core.store_figures import ReportDays, StoreFigures, fetch_store_figures

log = logging.getLogger(__name__)

FOLLOW_AFTER = 0.1  # seconds from a customer going on the sale to their live follow starting


@dataclass(frozen=True, slots=True)
class Notice:
    """Something the person at the till must be told; each app words it for its own people.

    ``kind``: "rewards_removed" (``error`` says why: RewardsNeedTheService when offline, else the
    basket changed), or "quote_failed" (``error`` is the LoyaltyError).
    """

    kind: str
    error: LoyaltyError | None = None


@dataclass(frozen=True, slots=True)
class ItemRefused:
    """An item entry that added nothing, and why: "not_ready" (no catalog yet), "paying" (the
    sale is being paid for), "bad_entry" (``detail`` is the parser's message), "unknown_product"
    (``detail`` is the code read) or "too_many" (``detail`` says what limit)."""

    reason: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Payment:
    """The sale as it is being paid for: frozen, with the quote and the amount due."""

    sale: Sale
    quote: Quote | None
    due: int


@dataclass(frozen=True, slots=True)
class Enrolment:
    """What the app's enrolment form gave: the number (as confirmed), the name, the consent, and
    where the customer gave it: "till" (spoken, the cashier ticked), "customer_display" (tapped on
    the display facing the till) or "kiosk"."""

    phone: str
    name: str
    marketing: bool
    given_at: str = "till"
    referral_code: str = ""  # a friend's code, as typed or scanned ("": none)
    email: str = ""  # for e-mailed receipts, as typed ("": none); checked before it is sent
    email_receipts: bool = False  # every receipt by e-mail


def _same_customer(one: Sale, other: Sale) -> bool:
    return one.customer is not None and other.customer is not None and one.customer.account_id == other.customer.account_id


def _quoted_alike(one: Sale, other: Sale | None) -> bool:
    """A quote asked for ``one`` holds for ``other``: the same sale with the same basket, rewards
    and customer (what the quote is made of). A change of anything else (the e-mail choice) made a
    new Sale while the quote was on its way; it must not lose the quote."""
    return other is not None and (one.sale_id, one.basket, one.rewards, one.customer) == (
        other.sale_id, other.basket, other.rewards, other.customer)


def with_rewards(sale: Sale, rewards: tuple[str, ...]) -> Sale:
    """The sale with exactly ``rewards``, in that order (the service applies them in order)."""
    for reward_id in sale.rewards:
        sale = sale.with_reward(reward_id, False)
    for reward_id in rewards:
        sale = sale.with_reward(reward_id, True)
    return sale


class SaleSession:
    def __init__(
        self,
        checkout: Checkout,
        *,
        on_change: Callable[[], None] = lambda: None,
        on_notice: Callable[[Notice], None] = lambda notice: None,
        feed: CustomerFeed | None = None,
    ) -> None:
        self.checkout = checkout
        self.on_change = on_change
        # What the customer facing the till sees (the customer displays read it); None: no display.
        self.feed = feed
        self._thanks: CompletedSale | None = None
        self.on_notice = on_notice
        self.sale: Sale | None = None
        self.quote: Quote | None = None
        self.quote_pending = False
        self.looking_up = False
        self._followed: str | None = None
        self._payment: Payment | None = None
        self._frozen = False  # from begin_payment until the payment is done or abandoned
        self._completing = False
        self._follow_task: asyncio.Task[None] | None = None
        self._quote_task: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[Any]] = set()

    # -- the sale as it changes ----------------------------------------------------------------

    def _changed(self) -> None:
        """Every change ends here: the app redraws, and the customer's view follows."""
        self.on_change()
        feed = self.feed
        if feed is None:
            return
        sale, thanks = self.sale, self._thanks
        if thanks is not None and sale is not None and sale.sale_id == thanks.sale.sale_id:
            sale = None  # just paid (the receipt on the till's screen): the customer sees their thank-you
        elif sale_begun(sale):
            self._thanks = thanks = None  # the next customer's sale has begun
        feed.show(sale=sale, quote=self.quote, paying=self._frozen, thanks=thanks)

    @property
    def paying(self) -> bool:
        """The sale is frozen for payment: changes are refused until it is paid or abandoned."""
        return self._frozen

    def start(self) -> Sale:
        """A new, empty sale in place of whatever was there (its held points go back). A payment
        on the screen is abandoned; one being written now is not interrupted."""
        if self._completing and self.sale is not None:
            return self.sale
        self._unfreeze()
        self._change(self.checkout.new_sale())
        assert self.sale is not None
        return self.sale

    def clear(self) -> None:
        """No sale at all (the kiosk between shoppers): nobody's name or basket is kept."""
        if self._completing:
            return
        self._unfreeze()
        self._change(None)

    def ensure_sale(self) -> Sale:
        return self.sale if self.sale is not None else self.start()

    def add(self, text: str) -> ItemRefused | None:
        """Add what the item field or a scanner read (``1001``, an EAN, ``3*1001``); None when added."""
        catalog = self.checkout.catalog
        if catalog is None:
            return ItemRefused("not_ready")
        if self._frozen:
            return ItemRefused("paying")
        try:
            entry = parse_item_entry(text)
        except InvalidItemEntry as error:
            return ItemRefused("bad_entry", str(error))
        product = catalog.lookup(entry.code)
        if product is None:
            return ItemRefused("unknown_product", entry.code)
        sale = self.ensure_sale()
        try:
            basket = sale.basket.add(product, entry.quantity)
        except ValueError as error:
            return ItemRefused("too_many", str(error))
        if refused := self._over_limit(basket):
            return refused
        self._change(sale.with_basket(basket))
        return None

    def void_line(self, index: int) -> None:
        sale = self.sale
        if sale is not None and not self._frozen and 0 <= index < len(sale.basket.lines):
            self._change(sale.with_basket(sale.basket.void(index)))

    def set_quantity(self, index: int, quantity: int) -> ItemRefused | None:
        """None when the line is changed (or there is nothing to change); "too_many" otherwise."""
        sale = self.sale
        if sale is not None and not self._frozen and 0 <= index < len(sale.basket.lines):
            basket = sale.basket.set_quantity(index, quantity)
            if refused := self._over_limit(basket):
                return refused
            self._change(sale.with_basket(basket))
        return None

    def _over_limit(self, basket: Basket) -> ItemRefused | None:
        """"too_many" when the basket comes to more than the programme lets one sale be (the
        service would refuse the sale, after it was paid for)."""
        program = self.checkout.program
        most = program.max_sale_amount if program is not None else None
        if most is None or basket.subtotal <= most:
            return None
        return ItemRefused("too_many", f"One sale may come to at most {format_money(most, program.currency)}:"
                                       " take payment for this one, then start another sale")

    def set_customer(self, customer: AccountSummary | None) -> None:
        """Put the customer on the sale (None: take them off). A sale being paid for is frozen:
        it stays as it is, and whatever else changed (a lookup ending) is shown."""
        if self._frozen:
            self._changed()
        else:
            self._change(self.ensure_sale().with_customer(customer))

    def _change(self, new: Sale | None, *, quote: Quote | None = None, refresh: bool = True) -> None:
        """The one way the sale changes: holds, live follow and the quote follow it."""
        old = self.sale
        self.sale = new
        self._release_outdated_hold(old, new)
        self._follow(new)
        if old is None or not _quoted_alike(old, new):
            self.quote = quote
            self._cancel_quote()
            if refresh and quote is None and new is not None and new.customer is not None and new.basket.lines:
                self._quote_task = self._spawn(lambda: self._refresh_quote(new))
        self._changed()

    # -- the customer --------------------------------------------------------------------------

    async def sign_in(
        self, method: str, value: str, shown: str, *, join: Callable[[str], Awaitable[Enrolment | None]]
    ) -> AccountSummary | None:
        """Identify the customer and put them on the sale. An unknown phone number is offered
        enrolment: ``join(shown)`` is the app's form (None: they declined, and None comes back).
        Raises UnknownCustomer for an unknown card or code, LoyaltyError, InvalidPhoneNumber, or
        ValueError from the enrolment (a name left empty)."""
        try:
            return await self.identify(method, value)
        except UnknownCustomer:
            if method != "phone":
                raise
        form = await join(shown)
        if form is None:
            return None
        return await self.enrol(phone=form.phone, name=form.name, marketing=form.marketing, given_at=form.given_at,
                                referral_code=form.referral_code, email=form.email, email_receipts=form.email_receipts)

    async def identify(self, method: str, value: str) -> AccountSummary:
        """Find the customer and put them on the sale. Raises UnknownCustomer, LoyaltyError or
        InvalidPhoneNumber (nothing changes then)."""
        self._looking(True)
        try:
            customer = await self.checkout.identify(method, value)
        except BaseException:
            self._looking(False)
            raise
        # One change, not two: the lookup is over and the customer is on the sale (one redraw).
        self.looking_up = False
        self.set_customer(customer)
        return customer

    async def enrol(
        self, *, phone: str, name: str, marketing: bool, given_at: str = "till", referral_code: str = "",
        email: str = "", email_receipts: bool = False,
    ) -> AccountSummary:
        """Make the customer a member (their consent recorded, with where it was given, the friend
        who referred them, if any, and their e-mail address for receipts) and put them on the sale.
        Raises InvalidEmail (a ValueError) for an address that cannot be one, before anything is sent."""
        self._looking(True)
        try:
            customer = await self.checkout.enrol(phone=phone, name=name, marketing=marketing, given_at=given_at,
                                                 referral_code=referral_code, email=email,
                                                 email_receipts=email_receipts)
        finally:
            self._looking(False)
        self.set_customer(customer)
        return customer

    def choose_email_receipt(self, send: bool | None, address: str | None = None) -> bool:
        """This sale's receipt by e-mail: ``send`` True or False (None: the customer's standing
        choice), or to ``address`` (already checked: ``pos_core.email_address.checked_email``) for
        this sale only. Allowed while the sale is being paid for too (it changes nothing paid);
        False when there is no member on the sale or their service does not take the choice."""
        sale = self.sale
        if sale is None or not takes_email_receipt(sale.customer):
            return False
        chosen = sale.with_email_receipt(send, address)
        if self._payment is not None and self._payment.sale.sale_id == sale.sale_id:
            self._payment = replace(self._payment, sale=chosen)
        self._change(chosen)  # the basket, customer and rewards are as they were: the quote stands
        return True

    async def find_order(self, pickup_code: str) -> OrderAtTill:
        """The click & collect order a pickup code names. Its customer goes on the sale (their
        panel shows, and what they buy at the till now earns as a normal sale) unless the sale
        already has another customer or is being paid for. Raises LoyaltyError (offline:
        LoyaltyUnavailable): an order is never shown, or handed over, from the till's guess."""
        found = await self.checkout.client.look_up_order(pickup_code)
        current = self.sale.customer if self.sale is not None else None
        if not self._frozen and (current is None or current.account_id == found.customer.account_id):
            self.set_customer(found.customer)
        return found

    async def collect_order(self, order: PickupOrder) -> OrderPickup:
        """The goods are handed over: the service records it once and credits the points when the
        programme says so. Raises LoyaltyError; nothing is recorded on the till meanwhile."""
        settings = self.checkout.settings
        done = await self.checkout.client.pick_up_order(
            order.order_id, order.pickup_code, store_id=settings.store_id, terminal_id=settings.terminal_id)
        customer = self.sale.customer if self.sale is not None else None
        if done.points_credited and customer is not None and customer.account_id == order.account_id:
            self._spawn(lambda: self._refresh_customer(order.account_id))  # the panel shows the new balance
        return done

    async def _refresh_customer(self, account_id: str) -> None:
        self._customer_refreshed(await self.checkout.refresh_customer(account_id), always=True)

    async def adjust_points(
        self, account_id: str, *, points: int, reason: str, manager_pin: str, manager_id: str | None = None
    ) -> AccountSummary:
        summary = await self.checkout.adjust_points(
            account_id, points=points, reason=reason, manager_pin=manager_pin, manager_id=manager_id)
        self._customer_refreshed(summary, always=True)
        return summary

    async def store_figures(self, manager_id: str, manager_pin: str) -> StoreFigures:
        """This store's figures for a manager (pos_core.store_figures): today and the week so far
        by the till's clock, in the programme's time zone. Raises as the loyalty client does."""
        checkout = self.checkout
        days = ReportDays.at(checkout.clock(), checkout.program.timezone if checkout.program else "UTC")
        return await fetch_store_figures(checkout.client, days, manager_id, manager_pin)

    def _looking(self, looking: bool) -> None:
        self.looking_up = looking
        self._changed()

    # -- rewards and the quote -----------------------------------------------------------------

    async def quote_for(self, sale: Sale) -> Quote | None:
        """The quote of a sale that is not (yet) the session's: a reward's new total, say."""
        return await self.checkout.quote(sale)

    async def apply_rewards(self, rewards: tuple[str, ...]) -> None:
        """Use exactly ``rewards`` (in that order) on the sale: quoted, their points held, then
        applied. Raises LoyaltyError and changes nothing when they cannot be used."""
        sale = self.sale
        if sale is None or sale.customer is None or rewards == sale.rewards:
            return
        candidate = with_rewards(sale, rewards)
        self._set_quote_pending(True)
        try:
            quote = await self.checkout.quote(candidate)
            # Reserve the rewards' points, so another till cannot spend them before this sale is paid.
            await self.checkout.hold_rewards(candidate)
        finally:
            self._set_quote_pending(False)
        current = self.sale
        if current is sale:
            self._change(candidate, quote=quote)
        elif current is not None and current.sale_id == sale.sale_id and not self._frozen and _same_customer(current, sale):
            # An item came meanwhile: the same customer's sale, so the rewards (and the points
            # held for them) go on it; its quote is fetched again for the new basket.
            self._change(with_rewards(current, rewards))
        else:  # the sale ended or its customer changed: the points held for it go back
            await self.checkout.release_hold(candidate.sale_id)

    async def _settle_quote(self) -> Quote | None:
        """The quote to take payment on, fetched now if there is none yet. Rewards that no longer
        fit (or cannot be used offline) are taken off first, as while ringing up. Raises
        LoyaltyError when there is a customer and no total can be had."""
        sale = self.sale
        if sale is None or sale.customer is None or not sale.basket.lines:
            return None
        if self.quote is not None:
            return self.quote
        self._cancel_quote()
        self._set_quote_pending(True)
        try:
            try:
                quote = await self.checkout.quote(sale)
            except (RewardNotAvailable, RewardsNeedTheService) as error:
                if not sale.rewards:
                    raise
                self.on_notice(Notice("rewards_removed", error))
                sale = with_rewards(sale, ())
                self._change(sale, quote=None, refresh=False)
                quote = await self.checkout.quote(sale)
        finally:
            self._set_quote_pending(False)
        self.quote = quote
        self._changed()
        return quote

    async def _refresh_quote(self, sale: Sale) -> None:
        self._set_quote_pending(True)
        try:
            quote = await self.checkout.quote(sale)
        except (RewardNotAvailable, RewardsNeedTheService) as error:
            if _quoted_alike(sale, self.sale) and sale.rewards:
                self.on_notice(Notice("rewards_removed", error))
                self._quote_task = None  # this task is done; the change starts the next one
                self._change(with_rewards(self.sale, ()))
            return
        except LoyaltyError as error:
            if _quoted_alike(sale, self.sale):
                self.on_notice(Notice("quote_failed", error))
            return
        finally:
            self._set_quote_pending(False)
        if _quoted_alike(sale, self.sale):
            self.quote = quote
            self._changed()

    def _set_quote_pending(self, pending: bool) -> None:
        self.quote_pending = pending
        self._changed()

    def _cancel_quote(self) -> None:
        task, self._quote_task = self._quote_task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            self.quote_pending = False

    # -- payment -------------------------------------------------------------------------------

    async def begin_payment(self) -> Payment | None:
        """Freeze the sale and settle what is due on it (the service's total, or the offline
        estimate, never a guess); None when there is nothing to pay for. Raises LoyaltyError (and
        the sale is not frozen) when no total can be had. Then ``complete`` or ``cancel_payment``."""
        if self._payment is not None:
            return self._payment
        if self.sale is None or not self.sale.basket.lines:
            return None
        self._frozen = True
        self._follow(self.sale)  # this sale's own points change is not news from elsewhere
        try:
            quote = await self._settle_quote()
        except BaseException:
            self._unfreeze()
            raise
        sale = self.sale
        assert sale is not None
        self._payment = Payment(sale, quote, amount_due(sale, quote))
        self._changed()
        return self._payment

    def cancel_payment(self) -> None:
        """The payment was abandoned (the tender dialog closed): the sale is open again."""
        if not self._completing:
            self._unfreeze()
            self._changed()

    async def complete(self, tender: tuple[Tender, ...]) -> CompletedSale:
        """Take ``tender`` for the frozen sale: saved, then sent. Raises OutboxError when the till
        could not save it, or PaymentError/ValueError for a tender that does not fit; the sale is
        NOT done then and is open again. The caller starts the next sale (``start`` or ``clear``).
        The write is not cancelled with the caller: a sale half-saved is never left behind."""
        payment = self._payment
        if payment is None or self._completing:
            raise PaymentError("There is no payment to take: press Pay again.")
        self._completing = True
        try:
            done = await asyncio.shield(self.checkout.complete(payment.sale, tender, payment.quote))
        except BaseException:
            self._completing = False
            self._unfreeze()  # not done: the sale (and its customer) is open again
            self._changed()
            raise
        self._completing = False
        self._payment = None
        self._frozen = False  # the next sale (start or clear) follows whoever is on it
        self._thanks = done  # the customer's thank-you, until the next sale begins
        self._changed()
        return done

    def _unfreeze(self) -> None:
        self._payment = None
        if self._frozen:
            self._frozen = False
            self._follow(self.sale)

    # -- holds ---------------------------------------------------------------------------------

    def _release_outdated_hold(self, old: Sale | None, new: Sale | None) -> None:
        """The points held for ``old`` go back when its rewards, its customer or the sale itself
        changed (removed, voided, customer taken off). A paid sale's hold was redeemed by it."""
        if old is None or self.checkout.hold_for(old.sale_id) is None:
            return
        if new is not None and new.sale_id == old.sale_id and self.checkout.hold_fits(new):
            return
        # Best effort: with the service away the reservation expires by itself.
        self._spawn(lambda: self.checkout.release_hold(old.sale_id))

    # -- live updates --------------------------------------------------------------------------

    @property
    def following(self) -> str | None:
        """The account whose live updates the session follows now, if any."""
        task = self._follow_task
        return self._followed if task is not None and not task.done() else None

    def _follow(self, sale: Sale | None) -> None:
        account = sale.customer.account_id if sale is not None and sale.customer is not None and not self._frozen else None
        if account == self._followed:
            return
        self._followed = account
        if self._follow_task is not None:
            self._follow_task.cancel()
            self._follow_task = None
        if account is not None:
            self._follow_task = self._spawn(lambda: self._follow_account(account))

    async def _follow_account(self, account_id: str) -> None:
        # A moment after the customer is shown: the stream's connection and its fresh look at the
        # account (current_summaries reads it once the stream is open, so nothing is missed) would
        # otherwise take the loop while the panel is being drawn.
        await asyncio.sleep(FOLLOW_AFTER)
        try:
            async for summary in current_summaries(self.checkout, account_id):
                self._customer_refreshed(summary)
        except LoyaltyError:
            return  # the key refused, the account gone, or no live updates there: nothing to follow

    def _customer_refreshed(self, summary: AccountSummary, *, always: bool = False) -> None:
        sale = self.sale
        current = sale.customer if sale is not None else None
        if sale is None or current is None or current.account_id != summary.account_id or self._frozen:
            return
        if always or current.provisional or standing(current) != standing(summary):
            self._change(sale.with_customer(summary))

    # -- background work -----------------------------------------------------------------------

    def _spawn(self, work: Callable[[], Coroutine[Any, Any, Any]]) -> asyncio.Task[Any]:
        """Run ``work()`` in the background (made inside the task, so a task cancelled before it
        started leaves no coroutine un-awaited)."""
        task = asyncio.get_running_loop().create_task(self._guarded(work))
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    async def _guarded(self, work: Callable[[], Coroutine[Any, Any, Any]]) -> None:
        try:
            await work()
        except asyncio.CancelledError:
            raise
        except LoyaltyError:
            pass  # best effort (a hold released, a refresh): the service's absence is not news here
        except Exception as error:  # a fault in background work must never stop the till
            log.error("sale session: background work failed: %s", type(error).__name__)

    async def close(self) -> None:
        """Stop the background work (the app is closing)."""
        tasks = list(self._background)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
