"""The self-checkout kiosk and ``make_app()``, shared by the ``selfcheckout`` command and the tests.

The kiosk holds one shopper's session (the sale and its quote) and walks it through welcome,
scanning, rewards, payment and thank-you. Loyalty calls run in workers through the same
``Checkout`` as the register, so the never-stop-the-till rules hold here too. No command
palette, no developer keys: a shopper only ever sees what the screens offer.
"""

from __future__ import annotations

import asyncio
import time

from textual import events, on, work
from textual.app import App
from textual.binding import Binding
from textual.reactive import reactive

import themes
from devices.identification import Identification
from devices_tui.bridge import DeviceBridge
from devices_tui.messages import DeviceProblem, Identified, ItemScanned, ScanRejected
from pos_core.checkout import Checkout
from pos_core.item_entry import InvalidItemEntry, parse_item_entry
from pos_core.live_updates import current_summaries, followed_account, standing
from pos_core.loyalty_client import LoyaltyClient
from pos_core.loyalty_errors import LoyaltyError, UnknownCustomer
from pos_core.loyalty_models import Quote
from pos_core.outbox import OutboxError
from pos_core.phone_number import InvalidPhoneNumber
from pos_core.sale import Sale, amount_due
from pos_core.settings import Settings
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


class SelfCheckoutApp(App[None]):
    TITLE = "Self-checkout"
    CSS_PATH = themes.KIOSK_CSS
    ENABLE_COMMAND_PALETTE = False
    # Only the staff's way out; nothing a shopper would press by accident.
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", show=False, id="kiosk.quit", tooltip="Close the kiosk (staff)")]
    MODES = {"welcome": WelcomeScreen, "shopping": ShoppingScreen}
    # From 80×24 up to a full-HD screen: wide terminals get bigger targets (themes/kiosk.tcss).
    HORIZONTAL_BREAKPOINTS = [(0, "-compact"), (120, "-roomy")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (45, "-tall")]

    sale: reactive[Sale | None] = reactive(None, always_update=True)
    quote: reactive[Quote | None] = reactive(None, always_update=True)

    def __init__(self, settings: Settings, checkout: Checkout, *, theme: str = themes.KIOSK_THEME) -> None:
        super().__init__()
        self.settings = settings
        self.checkout = checkout
        for bundled in themes.bundled_themes():
            self.register_theme(bundled)
        self.theme = theme if theme in self.available_themes else themes.KIOSK_THEME
        self.last_touch = time.monotonic()
        self.offer_declined = False
        self._asking_still_there = False
        self.devices = DeviceBridge(self, settings.devices, settings.region)

    def on_mount(self) -> None:
        self.devices.start()
        self.run_worker(self.checkout.sender.run(), name="outbox sender", group="outbox", exclusive=True)
        self.load_store()
        self.switch_mode("welcome")
        self.set_interval(1.0, self.notice_idle_shopper)

    async def on_unmount(self) -> None:
        self.devices.stop()
        await self.checkout.client.aclose()
        self.checkout.close()

    @work(exclusive=True, group="store")
    async def load_store(self) -> None:
        while True:
            try:
                await self.checkout.load_store()
                return
            except (LoyaltyError, ValueError):
                await asyncio.sleep(2)

    # -- a shopper's session ---------------------------------------------------------------------

    def start_shopping(self) -> None:
        if self.sale is None:
            self.sale = self.checkout.new_sale()
        self.switch_mode("shopping")

    def watch_sale(self, old: Sale | None, new: Sale | None) -> None:
        shopper = followed_account(new)
        if shopper != followed_account(old):
            if shopper is None:
                self.workers.cancel_group(self, "live")
            else:
                self.follow_shopper(shopper)
        # The points held for a reward go back when the reward or the shopper is taken off, or the
        # session ends (reset, idle reset); a paid sale's hold was redeemed by it.
        if old is None or self.checkout.hold_for(old.sale_id) is None:
            return
        if new is not None and new.sale_id == old.sale_id and self.checkout.hold_fits(new):
            return
        self.release_hold(old.sale_id)

    @work(exclusive=True, group="live")
    async def follow_shopper(self, account_id: str) -> None:
        """While the shopper is signed in, points changed elsewhere (their app, a till) show at
        once. Cancelled when the shopper leaves or the session ends."""
        try:
            async for summary in current_summaries(self.checkout, account_id):
                sale = self.sale
                current = sale.customer if sale is not None else None
                if sale is None or current is None or current.account_id != account_id:
                    continue
                if current.provisional or standing(current) != standing(summary):
                    self.sale = sale.with_customer(summary)
        except LoyaltyError:
            return  # the key refused, the account gone, or no live updates there
        except Exception as error:  # best effort: a fault here must never stop the kiosk
            self.log.error(f"live updates stopped: {type(error).__name__}")

    @work(group="holds")
    async def release_hold(self, sale_id: str) -> None:
        # Best effort: with the service away the reservation expires by itself.
        await self.checkout.release_hold(sale_id)

    def reset(self) -> None:
        """The next shopper starts clean: no basket, no name on the screen."""
        self.sale = None
        self.quote = None
        self.offer_declined = False
        self.switch_mode("welcome")

    def scan(self, text: str) -> str | None:
        """A scanned or typed code; returns what to tell the shopper when it is not an item."""
        catalog = self.checkout.catalog
        if catalog is None:
            return "Just a moment, the kiosk is getting ready."
        try:
            entry = parse_item_entry(text)
        except InvalidItemEntry:
            return "That code wasn't recognised. Please scan the item again."
        product = catalog.lookup(entry.code)
        if product is None:
            return "That item wasn't recognised. Please scan it again or call for assistance."
        if self.sale is None:
            self.sale = self.checkout.new_sale()
        try:
            self.sale = self.sale.with_basket(self.sale.basket.add(product, entry.quantity))
        except ValueError:
            return "That's more than we can sell in one go. Please call for assistance."
        self.refresh_quote()
        return None

    @work(exclusive=True, group="quote")
    async def refresh_quote(self) -> None:
        sale = self.sale
        if sale is None or sale.customer is None or not sale.basket.lines:
            self.quote = None
            return
        try:
            quote = await self.checkout.quote(sale)
        except LoyaltyError as error:
            self.quote = None
            if sale.rewards and sale is self.sale:
                # The reward no longer fits (or rewards are offline): take it off and say so.
                self.tell(shopper_message(error))
                self.sale = _without_rewards(sale)
                self.refresh_quote()
            return
        if sale is self.sale:
            self.quote = quote

    @work(exclusive=True, group="dialog")
    async def sign_in(self, presented: Identification | None = None) -> None:
        """Sign the shopper in: with what they presented to a reader, or by the phone keypad."""
        identification = presented or await self.push_screen_wait(PhoneKeypadScreen(self.checkout.region))
        if identification is None:
            return
        try:
            customer = await self.checkout.identify(identification.method, identification.value)
        except UnknownCustomer as error:
            if identification.method != "phone":
                self.tell(shopper_message(error, identification.method))
                return
            program = self.checkout.program
            joined = await self.push_screen_wait(
                JoinScreen(identification.shown, program.terms_version if program else "", program.privacy_notice if program else "")
            )
            if joined is None:
                return
            try:
                customer = await self.checkout.enrol(phone=identification.value, name=joined[0], marketing=joined[1])
            except (LoyaltyError, InvalidPhoneNumber, ValueError) as error:
                self.tell(shopper_message(error))
                return
        except (LoyaltyError, InvalidPhoneNumber) as error:
            self.tell(shopper_message(error))
            return
        if self.sale is None:
            self.sale = self.checkout.new_sale()
        self.sale = self.sale.with_customer(customer)
        self.refresh_quote()
        await self.offer_reward()

    async def offer_reward(self) -> None:
        """One touch to use the best reward the shopper can afford, with the new total shown first."""
        sale = self.sale
        if sale is None or sale.customer is None or sale.rewards or self.offer_declined or not sale.basket.lines:
            return
        for reward in sorted(sale.customer.rewards_available, key=lambda r: -r.cost):
            candidate = sale.with_reward(reward.reward_id, True)
            try:
                with_reward = await self.checkout.quote(candidate)
                without = await self.checkout.quote(sale)
            except LoyaltyError:
                continue  # this reward does not fit the basket, or rewards are offline
            if with_reward is None or without is None:
                return
            accepted = await self.push_screen_wait(
                RewardOfferScreen(reward.name, without.total, with_reward.total, sale.currency)
            )
            if accepted and self.sale is sale:
                try:
                    # Hold the reward's points until payment, so no other till can spend them.
                    await self.checkout.hold_rewards(candidate)
                except LoyaltyError as error:
                    self.tell(shopper_message(error))
                    self.offer_declined = True
                    return
                if self.sale is not sale:  # the shopper went on meanwhile (or left): give them back
                    await self.checkout.release_hold(candidate.sale_id)
                    return
                self.sale = candidate
                self.quote = with_reward
            else:
                self.offer_declined = True
            return

    @work(exclusive=True, group="dialog")
    async def pay(self) -> None:
        sale = self.sale
        if sale is None or not sale.basket.lines:
            return
        await self.offer_reward()
        sale = self.sale
        assert sale is not None
        quote = self.quote
        if sale.customer is not None and quote is None:
            try:
                quote = await self.checkout.quote(sale)
            except LoyaltyError:
                sale = _without_rewards(sale)
                self.sale = sale
                quote = await self.checkout.quote(sale)
        tender = await self.push_screen_wait(KioskPaymentScreen(amount_due(sale, quote), sale.currency))
        if tender is None or self.sale is not sale:
            return
        try:
            done = await self.checkout.complete(sale, tender, quote)
        except (OutboxError, ValueError) as error:
            self.tell(shopper_message(error))
            return
        self.reset()
        await self.push_screen_wait(ThankYouScreen(done, self.settings.kiosk.thank_you_seconds))

    def remove_item(self, index: int) -> None:
        sale = self.sale
        if sale is None or not sale.basket.lines:
            return
        if self.settings.kiosk.remove_needs_staff:
            self.call_assistance("Taking an item off needs a member of staff.", index=index)
            return
        self.sale = sale.with_basket(sale.basket.void(min(index, len(sale.basket.lines) - 1)))
        self.refresh_quote()

    @work(exclusive=True, group="dialog")
    async def call_assistance(self, reason: str, index: int | None = None) -> None:
        action = await self.push_screen_wait(AssistanceScreen(self.settings.kiosk.staff_pin, reason))
        sale = self.sale
        if action == "void_sale":
            self.reset()
        elif action == "remove_item" and sale is not None and sale.basket.lines:
            row = index if index is not None else len(sale.basket.lines) - 1
            self.sale = sale.with_basket(sale.basket.void(min(row, len(sale.basket.lines) - 1)))
            self.refresh_quote()

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

    @on(ScanRejected)
    def scan_rejected(self, message: ScanRejected) -> None:
        self.tell(message.text)

    @on(DeviceProblem)
    def device_problem(self, message: DeviceProblem) -> None:
        # Said once per device; the shopper learns what still works.
        self.notify(f"{message.text} You can still scan with the handheld scanner or enter your phone number.",
                    severity="warning", timeout=10, markup=False)

    # -- idle --------------------------------------------------------------------------------------

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown, events.MouseScrollDown, events.MouseScrollUp)):
            self.last_touch = time.monotonic()
        if isinstance(event, events.Key) and not event.is_forwarded:
            await self.devices.wedge.key(event)  # a scanner's burst never reaches a text field
            return
        await super().on_event(event)

    def notice_idle_shopper(self) -> None:
        idle = time.monotonic() - self.last_touch
        if self.sale is None or self._asking_still_there or idle < self.settings.kiosk.idle_seconds:
            return
        self.ask_still_there()

    @work(exclusive=True, group="idle")
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


def _without_rewards(sale: Sale) -> Sale:
    for reward_id in sale.rewards:
        sale = sale.with_reward(reward_id, False)
    return sale


def make_app(settings: Settings, *, checkout: Checkout | None = None, theme: str = themes.KIOSK_THEME) -> SelfCheckoutApp:
    if checkout is None:
        if not settings.api_url or not settings.api_key:
            raise ValueError("make_app needs a loyalty api_url and api_key (the CLI starts the demo store)")
        client = LoyaltyClient(settings.api_url, settings.api_key, deadlines=settings.deadlines)
        checkout = Checkout(client, settings)
    return SelfCheckoutApp(settings, checkout, theme=theme)

