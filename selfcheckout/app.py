"""The self-checkout kiosk and ``make_app()``, shared by the ``selfcheckout`` command and the tests.

The kiosk walks one shopper's sale through welcome, scanning, rewards, payment and thank-you.
The sale itself (its quote, reward holds, live follow and fall-backs) is the same ``SaleSession``
the register runs, so the never-stop-the-till rules hold here too; the kiosk is a view of it. No command
palette, no developer keys: a shopper only ever sees what the screens offer.
"""

from __future__ import annotations

import time

from textual import events, on
from textual.binding import Binding
from textual.reactive import reactive

import themes
from devices.identification import Identification
from devices_tui.messages import DeviceProblem, Identified, ItemScanned, OrderScanned, ReferralScanned, ScanRejected
from pos_core.checkout import Checkout
from pos_core.loyalty_client import LoyaltyClient
from pos_core.loyalty_errors import LoyaltyError
from pos_core.loyalty_models import Quote
from pos_core.outbox import OutboxError
from pos_core.phone_number import InvalidPhoneNumber
from pos_core.sale import Sale
from pos_core.receipt_by_email import emailed_to, takes_email_receipt
from pos_core.sale_session import Enrolment, Notice, with_rewards
from pos_core.settings import Settings
from pos_core.staff_pin import StaffPinLock
from selfcheckout.screens.assistance import AssistanceScreen
from selfcheckout.screens.join import JoinScreen
from selfcheckout.screens.kiosk_payment import KioskPaymentScreen
from selfcheckout.screens.phone_keypad import PhoneKeypadScreen
from selfcheckout.screens.reward_offer import RewardOfferScreen
from selfcheckout.screens.shopping import ShoppingScreen
from selfcheckout.screens.still_there import StillThereScreen
from selfcheckout.screens.thank_you import ThankYouScreen
from selfcheckout.screens.welcome import WelcomeScreen
from selfcheckout.shopper_messages import shopper_message
from till_tui.till_app import TillApp
from till_tui.workers import till_work


class SelfCheckoutApp(TillApp):
    TITLE = "Self-checkout"
    APP_NAME = "selfcheckout"
    CSS_PATH = themes.KIOSK_CSS
    ENABLE_COMMAND_PALETTE = False
    # Only the staff's way out; nothing a shopper would press by accident.
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", show=False, id="kiosk.quit", tooltip="Close the kiosk (staff)")]
    MODES = {"welcome": WelcomeScreen, "shopping": ShoppingScreen}
    # From 80×24 up to a full-HD screen: wide terminals get bigger targets (themes/kiosk.tcss).
    HORIZONTAL_BREAKPOINTS = [(0, "-compact"), (120, "-roomy")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (45, "-tall")]

    # The shopper's sale and its quote, mirrored from the sale session for the screens to show.
    sale: reactive[Sale | None] = reactive(None, always_update=True)
    quote: reactive[Quote | None] = reactive(None, always_update=True)

    def __init__(self, settings: Settings, checkout: Checkout, *, theme: str = themes.KIOSK_THEME) -> None:
        super().__init__(settings, checkout)
        for bundled in themes.bundled_themes():
            self.register_theme(bundled)
        self.theme = theme if theme in self.available_themes else themes.KIOSK_THEME
        self.last_touch = time.monotonic()
        self.offer_declined = False
        self._asking_still_there = False
        self.staff_pin = StaffPinLock(settings.kiosk.staff_pin)  # locks after 5 wrong tries, for the kiosk's run
        self.session.on_change = self._session_changed
        self.session.on_notice = self._session_notice

    def on_mount(self) -> None:
        self.start_till()
        self.switch_mode("welcome")
        self.set_interval(1.0, self.notice_idle_shopper)

    async def on_unmount(self) -> None:
        await self.stop_till()

    def work_failed_words(self, what: str) -> str:
        return "Sorry, that didn't work. Please try again, or call for assistance."

    # -- a shopper's session ---------------------------------------------------------------------

    def _session_changed(self) -> None:
        session = self.session
        if self.sale is not session.sale:
            self.sale = session.sale
        if self.quote is not session.quote:
            self.quote = session.quote

    def _session_notice(self, notice: Notice) -> None:
        if notice.kind == "rewards_removed" and notice.error is not None:
            # The reward no longer fits (or rewards are offline): it was taken off; say so.
            self.tell(shopper_message(notice.error))

    def start_shopping(self) -> None:
        self.session.ensure_sale()
        self.switch_mode("shopping")

    def reset(self) -> None:
        """The next shopper starts clean: no basket, no name on the screen."""
        self.session.clear()
        self.offer_declined = False
        self.switch_mode("welcome")

    def scan(self, text: str) -> str | None:
        """A scanned or typed code; returns what to tell the shopper when it is not an item."""
        refused = self.session.add(text)
        if refused is None:
            return None
        return {
            "not_ready": "Just a moment, the kiosk is getting ready.",
            "paying": "Please finish paying first, then scan the item again.",
            "bad_entry": "That code wasn't recognised. Please scan the item again.",
            "unknown_product": "That item wasn't recognised. Please scan it again or call for assistance.",
        }.get(refused.reason, "That's more than we can sell in one go. Please call for assistance.")

    @till_work(exclusive=True, group="dialog")
    async def sign_in(self, presented: Identification | None = None) -> None:
        """Sign the shopper in: with what they presented to a reader, or by the phone keypad."""
        if self.session.paying:
            self.tell("Please finish paying first.")
            return
        identification = presented or await self.push_screen_wait(PhoneKeypadScreen(self.checkout.region))
        if identification is None:
            return

        async def join(phone: str) -> Enrolment | None:
            program = self.checkout.program
            joined = await self.push_screen_wait(
                JoinScreen(phone, program.terms_version if program else "", program.privacy_notice if program else "")
            )
            if joined is None:
                return None
            return Enrolment(identification.value, joined.name, joined.marketing, given_at="kiosk",
                             referral_code=joined.referral_code, email=joined.email,
                             email_receipts=joined.email_receipts)

        try:
            customer = await self.session.sign_in(
                identification.method, identification.value, identification.shown, join=join
            )
        except (LoyaltyError, InvalidPhoneNumber, ValueError) as error:
            self.tell(shopper_message(error, identification.method))
            return
        if customer is not None:
            await self.offer_reward()

    async def offer_reward(self) -> None:
        """One touch to use the best reward the shopper can afford, with the new total shown first."""
        session = self.session
        sale = session.sale
        if sale is None or sale.customer is None or sale.rewards or self.offer_declined or not sale.basket.lines:
            return
        for reward in sorted(sale.customer.rewards_available, key=lambda r: -r.cost):
            try:
                with_reward = await session.quote_for(with_rewards(sale, (reward.reward_id,)))
                without = await session.quote_for(sale)
            except LoyaltyError:
                continue  # this reward does not fit the basket, or rewards are offline
            if with_reward is None or without is None:
                return
            accepted = await self.push_screen_wait(
                RewardOfferScreen(reward.name, without.total, with_reward.total, sale.currency)
            )
            if not accepted:
                self.offer_declined = True
            elif session.sale is sale:
                try:
                    # Held until payment, so no other till can spend the reward's points.
                    await session.apply_rewards((reward.reward_id,))
                except LoyaltyError as error:
                    self.tell(shopper_message(error))
                    self.offer_declined = True
            return

    @till_work(exclusive=True, group="payment")
    async def pay(self) -> None:
        # Its own group: no other window's worker can cancel a payment half-way.
        session = self.session
        if session.sale is None or not session.sale.basket.lines or session.paying:
            return
        await self.offer_reward()
        try:
            payment = await session.begin_payment()
        except LoyaltyError as error:
            self.tell(shopper_message(error))
            return
        if payment is None:
            return
        customer = payment.sale.customer
        offer = customer.email_masked if customer is not None and takes_email_receipt(customer) else None
        paying = KioskPaymentScreen(payment.due, payment.sale.currency, email_on_file=offer,
                                    emailed=emailed_to(payment.sale) is not None)
        tender = await self.push_screen_wait(paying)
        if tender is None:
            session.cancel_payment()
            return
        if paying.email_receipt is not None:
            session.choose_email_receipt(paying.email_receipt)
        try:
            done = await session.complete(tender)
        except (OutboxError, ValueError) as error:
            self.tell(shopper_message(error))
            return
        self.reset()
        self.print_sale(done)  # beside the thank-you, never holding it
        await self.push_screen_wait(ThankYouScreen(done, self.settings.kiosk.thank_you_seconds))

    def remove_item(self, index: int) -> None:
        sale = self.session.sale
        if sale is None or not sale.basket.lines:
            return
        if self.settings.kiosk.remove_needs_staff:
            self.call_assistance("Taking an item off needs a member of staff.", index=index)
            return
        self.session.void_line(min(index, len(sale.basket.lines) - 1))

    @till_work(exclusive=True, group="dialog")
    async def call_assistance(self, reason: str, index: int | None = None) -> None:
        action = await self.push_screen_wait(
            AssistanceScreen(self.staff_pin, reason, set_aside=self.set_aside_sales(),
                             printer=self.printer_status if self.print_queue is not None else None)
        )
        sale = self.session.sale
        if action == "void_sale":
            self.reset()
        elif action == "reprint":
            self.action_reprint()
        elif action == "remove_item" and sale is not None and sale.basket.lines:
            row = index if index is not None else len(sale.basket.lines) - 1
            self.session.void_line(min(row, len(sale.basket.lines) - 1))

    def tell(self, text: str) -> None:
        self.notify(text, severity="warning", timeout=8, markup=False)

    # -- devices -----------------------------------------------------------------------------------

    @on(Identified)
    def shopper_presented(self, message: Identified) -> None:
        top = self.screen
        if isinstance(top, PhoneKeypadScreen):
            top.dismiss(message.identification)  # they scanned their app instead of typing
        elif isinstance(top, (WelcomeScreen, ShoppingScreen)):
            self.start_shopping()
            self.sign_in(message.identification)
        elif isinstance(top, ThankYouScreen):
            top.dismiss(None)
            self.start_shopping()
            self.sign_in(message.identification)

    @on(ItemScanned)
    def item_scanned(self, message: ItemScanned) -> None:
        top = self.screen
        if isinstance(top, ThankYouScreen):
            top.dismiss(None)
        elif not isinstance(top, (WelcomeScreen, ShoppingScreen)):
            self.tell("Please finish this step first, then scan the item again.")
            return
        problem = self.scan(message.entry)
        if problem:
            self.tell(problem)
        else:
            self.start_shopping()

    @on(ReferralScanned)
    def referral_scanned(self, message: ReferralScanned) -> None:
        if isinstance(self.screen, JoinScreen):
            self.screen.take_referral_code(message.code)
        else:
            self.tell("That's a friend's referral code: it's used when you join. Sign in with your phone number.")

    @on(ScanRejected)
    def scan_rejected(self, message: ScanRejected) -> None:
        self.tell(message.text)

    @on(OrderScanned)
    def order_scanned(self, message: OrderScanned) -> None:
        # Goods ordered online are handed over by staff, who check them with the shopper.
        self.tell("That is an online order's pickup code: please collect your order at the service desk.")

    @on(DeviceProblem)
    def device_problem(self, message: DeviceProblem) -> None:
        # Said once per device; the shopper learns what still works.
        self.notify(f"{message.text} You can still scan with the handheld scanner or enter your phone number.",
                    severity="warning", timeout=10, markup=False)

    # -- idle --------------------------------------------------------------------------------------

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown, events.MouseScrollDown, events.MouseScrollUp)):
            self.last_touch = time.monotonic()
        await super().on_event(event)

    def notice_idle_shopper(self) -> None:
        if self.session.looking_up or self.session.quote_pending:
            # The kiosk is asking the service for the shopper: they are waiting, not gone. (On the
            # payment screen the kiosk waits for them, so walking away there still resets it.)
            self.last_touch = time.monotonic()
            return
        idle = time.monotonic() - self.last_touch
        if self.sale is None or self._asking_still_there or idle < self.settings.kiosk.idle_seconds:
            return
        self.ask_still_there()

    @till_work(exclusive=True, group="idle")
    async def ask_still_there(self) -> None:
        self._asking_still_there = True
        try:
            here = await self.push_screen_wait(StillThereScreen(self.settings.kiosk.still_there_seconds))
        finally:
            self._asking_still_there = False
        self.last_touch = time.monotonic()
        if not here:
            # Privacy: the shopper has gone; nobody else may see their name or basket.
            self.workers.cancel_group(self, "dialog")
            while len(self.screen_stack) > 1:
                self.pop_screen()
            self.reset()


def make_app(settings: Settings, *, checkout: Checkout | None = None, theme: str = themes.KIOSK_THEME) -> SelfCheckoutApp:
    if checkout is None:
        if not settings.api_url or not settings.api_key:
            raise ValueError("make_app needs a loyalty api_url and api_key (the CLI starts the demo store)")
        client = LoyaltyClient(settings.api_url, settings.api_key, deadlines=settings.deadlines)
        checkout = Checkout(client, settings)
    return SelfCheckoutApp(settings, checkout, theme=theme)

