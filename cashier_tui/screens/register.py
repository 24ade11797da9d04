"""The register: ring up items, identify the customer, apply rewards, take payment.

State lives here in reactives (the sale, its quote) and flows down to the widgets by
``data_bind``. Every loyalty call runs in a worker; the widgets only render.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, Input

from cashier_tui.error_messages import cashier_message
from cashier_tui.screens.adjust_points import AdjustPointsScreen
from cashier_tui.screens.confirm import ConfirmScreen
from cashier_tui.screens.enrol import EnrolScreen
from cashier_tui.screens.payment import PaymentScreen
from cashier_tui.screens.phone_entry import PhoneEntryScreen
from cashier_tui.screens.points_breakdown import PointsBreakdownScreen
from cashier_tui.screens.quantity import QuantityScreen
from cashier_tui.screens.receipt import ReceiptScreen
from cashier_tui.screens.return_sale import ReturnScreen
from cashier_tui.screens.rewards import RewardsScreen
from cashier_tui.widgets.basket_view import BasketView
from cashier_tui.widgets.loyalty_panel import LoyaltyPanel
from cashier_tui.widgets.status_bar import StatusBar
from cashier_tui.widgets.totals_view import TotalsView
from devices.identification import Identification
from devices.payload import classify
from pos_core.item_entry import InvalidItemEntry, parse_item_entry
from pos_core.live_updates import current_summaries, followed_account, standing
from pos_core.loyalty_errors import LoyaltyError, RewardNotAvailable, RewardsNeedTheService, UnknownCustomer
from pos_core.outbox import OutboxError
from pos_core.loyalty_models import AccountSummary, Quote, ReturnResult
from pos_core.phone_number import InvalidPhoneNumber
from pos_core.receipt import ReceiptHeader, render_receipt
from pos_core.sale import CompletedSale, Sale, Tender, amount_due

if TYPE_CHECKING:
    from cashier_tui.app import CashierApp


class RegisterScreen(Screen[None]):
    # In key order. The footer shows what works now and must fit 80 columns, so the rarely used
    # keys (F1 help, F7, F9, Ctrl+T) are left out of it: the top line says "F1 help", and the help
    # screen lists every key.
    BINDINGS = [
        Binding("f1", "help", "Help", show=False, id="register.help",
                tooltip="What each message on the till means, and every key"),
        Binding("f2", "identify", "Customer", id="register.identify",
                tooltip="Find the customer by phone number, or enrol them"),
        Binding("f3", "rewards", "Rewards", id="register.rewards",
                tooltip="Use or remove the customer's rewards on this sale"),
        Binding("f4", "void_line", "Void line", id="register.void_line",
                tooltip="Remove the highlighted line from the basket"),
        Binding("f5", "why_points", "Why pts", id="register.why_points",
                tooltip="Why these points? Which rule gave the points on each line"),
        Binding("f6", "quantity", "Qty", id="register.quantity",
                tooltip="Change how many of the highlighted item"),
        Binding("f7", "remove_customer", "No cust.", show=False, id="register.remove_customer",
                tooltip="Take the customer off this sale"),
        Binding("f8", "void_sale", "Void sale", id="register.void_sale",
                tooltip="Clear the basket and the customer and start again"),
        Binding("f9", "adjust_points", "Adjust pts", show=False, id="register.adjust_points",
                tooltip="Add or take the customer's points by hand (needs a manager's PIN)"),
        Binding("f10", "pay", "Pay", id="register.pay", tooltip="Take payment by cash or card"),
        Binding("f12", "return_items", "Return", id="register.return", tooltip="Return items from an earlier sale"),
        Binding("up", "move_line(-1)", "Up", show=False, id="register.line_up",
                tooltip="Highlight the line above"),
        Binding("down", "move_line(1)", "Down", show=False, id="register.line_down",
                tooltip="Highlight the line below"),
        Binding("ctrl+t", "training", "Training", show=False, id="register.training",
                tooltip="Switch this register into training mode (needs the trainer's PIN)"),
    ]

    # What happened at the till, for whoever watches (training mode scores the trainee by them).
    @dataclass
    class CustomerLookup(Message):
        identification: Identification

    @dataclass
    class Enrolled(Message):
        customer: AccountSummary

    @dataclass
    class SalePaid(Message):
        done: CompletedSale

    @dataclass
    class SaleVoided(Message):
        sale: Sale

    sale: reactive[Sale | None] = reactive(None)
    quote: reactive[Quote | None] = reactive(None)
    quote_pending: reactive[bool] = reactive(False)
    looking_up: reactive[bool] = reactive(False)

    def __init__(self) -> None:
        super().__init__()
        # A sale whose quote was fetched before it became the current sale (applying rewards).
        self._prequoted: Sale | None = None

    @property
    def cashier_app(self) -> CashierApp:
        return cast("CashierApp", self.app)

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status-bar")
        with Horizontal(id="register-body"):
            with Vertical(id="sale-column"):
                yield BasketView(id="basket").data_bind(RegisterScreen.sale)
                yield TotalsView(id="totals").data_bind(
                    RegisterScreen.sale, RegisterScreen.quote, RegisterScreen.quote_pending
                )
                yield Input(
                    placeholder="Loading products…",
                    disabled=True,
                    max_length=64,
                    id="item-entry",
                )
            yield LoyaltyPanel(id="loyalty-panel").data_bind(
                RegisterScreen.sale, RegisterScreen.quote, RegisterScreen.looking_up
            )
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        app = self.cashier_app
        status = self.query_one(StatusBar)
        settings = app.settings
        status.location = f"{settings.store_name} · {settings.terminal_id}"
        self.watch(app, "service_state", lambda state: setattr(status, "service_state", state))
        self.watch(app, "waiting_sales", lambda count: setattr(status, "waiting_sales", count))
        self.query_one("#basket").border_title = "Basket"
        self.query_one("#loyalty-panel").border_title = "Customer"
        self.watch(app, "store_loaded", self._store_loaded)

    def _store_loaded(self, loaded: bool) -> None:
        if not loaded:
            return
        entry = self.query_one("#item-entry", Input)
        entry.placeholder = "Scan or type a code (3*1001 for three)"
        entry.disabled = False
        entry.focus()
        if self.sale is None:
            self.sale = self.cashier_app.checkout.new_sale()

    # -- keys that work now ----------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        sale = self.sale
        has_lines = bool(sale and sale.basket.lines)
        customer = sale.customer if sale else None
        if action in ("void_line", "quantity", "pay"):
            return has_lines
        if action == "why_points":
            return self.quote is not None
        if action == "rewards":
            return bool(customer and (customer.rewards_available or sale.rewards))
        if action == "remove_customer":
            return customer is not None
        if action == "adjust_points":
            return customer is not None and not customer.provisional
        if action == "void_sale":
            return has_lines or customer is not None
        if action == "return_items":
            return not has_lines  # a return is its own transaction, between sales
        if action == "identify":
            return sale is not None
        if action == "training":
            return not self.cashier_app.training
        return True

    def watch_quote(self) -> None:
        self.refresh_bindings()  # "Why pts?" shows only while there is a quote to explain

    def action_why_points(self) -> None:
        if self.quote is not None:
            self.app.push_screen(PointsBreakdownScreen(self.quote))

    def watch_sale(self, old: Sale | None, new: Sale | None) -> None:
        self.refresh_bindings()
        self._release_outdated_hold(old, new)
        customer = followed_account(new)
        if customer != followed_account(old):
            if customer is None:
                self.workers.cancel_group(self, "live")
            else:
                self.follow_customer(customer)
        if new is None:
            return
        if old is None or old.basket != new.basket or old.rewards != new.rewards or old.customer != new.customer:
            self.quote = None
            if new is self._prequoted:
                return
            if new.customer is not None and new.basket.lines:
                self.refresh_quote()

    # -- items -----------------------------------------------------------------------------------

    @on(Input.Submitted, "#item-entry")
    def item_entered(self, event: Input.Submitted) -> None:
        event.input.value = ""
        checkout = self.cashier_app.checkout
        if self.sale is None or checkout.catalog is None:
            return
        text = event.value.strip()
        if "*" not in text and checkout.catalog.lookup(text) is None:
            # Not a product: a card number, an app code or a phone number typed by hand works
            # like a scan of it; a payment card is refused here, before it goes anywhere.
            payload = classify(text, self.cashier_app.devices.hub.rules)
            if payload.identification is not None:
                self.present(payload.identification)
                return
            if payload.kind == "payment_card":
                self.cashier_app.refuse_scan(payload.message)
                return
            if payload.kind == "receipt" and payload.receipt_sale_id:
                self.open_return(payload.receipt_sale_id)
                return
        self.add_item(text)

    def add_item(self, text: str) -> None:
        """Add what the item field or a scanner read: ``1001``, an EAN, or ``3*1001``."""
        checkout = self.cashier_app.checkout
        if self.sale is None or checkout.catalog is None:
            return
        try:
            entry = parse_item_entry(text)
        except InvalidItemEntry as error:
            self.notify(str(error), severity="warning", markup=False)
            return
        product = checkout.catalog.lookup(entry.code)
        if product is None:
            self.notify(
                f"No product has the code {entry.code}. Scan the item again or type the code on its label.",
                title="Unknown code",
                severity="warning",
                markup=False,
            )
            return
        try:
            self.sale = self.sale.with_basket(self.sale.basket.add(product, entry.quantity))
        except ValueError as error:
            self.notify(f"{error}.", severity="warning")

    def action_move_line(self, step: int) -> None:
        basket = self.query_one(BasketView)
        if basket.row_count:
            basket.move_cursor(row=max(0, min(basket.row_count - 1, basket.cursor_row + step)))

    def action_void_line(self) -> None:
        index = self.query_one(BasketView).selected_index
        if self.sale is not None and index is not None:
            self.sale = self.sale.with_basket(self.sale.basket.void(index))

    @work(exclusive=True, group="dialog")
    async def action_quantity(self) -> None:
        index = self.query_one(BasketView).selected_index
        if self.sale is None or index is None:
            return
        line = self.sale.basket.lines[index]
        quantity = await self.app.push_screen_wait(QuantityScreen(line.product.name, line.quantity))
        if quantity is not None and self.sale is not None and index < len(self.sale.basket.lines):
            self.sale = self.sale.with_basket(self.sale.basket.set_quantity(index, quantity))

    @work(exclusive=True, group="dialog")
    async def action_void_sale(self) -> None:
        if await self.app.push_screen_wait(ConfirmScreen("Void this sale and start again?", yes="Void")):
            if self.sale is not None:
                self.post_message(self.SaleVoided(self.sale))
            self.start_new_sale()

    def start_new_sale(self) -> None:
        self.sale = self.cashier_app.checkout.new_sale()
        self.query_one("#item-entry", Input).focus()

    # -- the customer ----------------------------------------------------------------------------

    @work(exclusive=True, group="dialog")
    async def action_identify(self) -> None:
        checkout = self.cashier_app.checkout
        identification = await self.app.push_screen_wait(PhoneEntryScreen(checkout.region))
        if identification is not None:
            await self._identify(identification)

    def present(self, identification: Identification) -> None:
        """The customer presented a card, an app code, a tag or a number, by any device."""
        top = self.app.screen
        if isinstance(top, PhoneEntryScreen):
            top.dismiss(identification)  # the cashier asked; the customer scanned instead
        elif top is self:
            self._identify_presented(identification)
        else:
            self.notify(
                "Finish or close the open window first, then scan the customer's card or code again.",
                title="Customer not looked up",
                severity="warning",
            )

    @work(exclusive=True, group="dialog")
    async def _identify_presented(self, identification: Identification) -> None:
        await self._identify(identification)

    async def _identify(self, identification: Identification) -> None:
        checkout = self.cashier_app.checkout
        if self.sale is None:
            return
        self.post_message(self.CustomerLookup(identification))
        self.looking_up = True
        try:
            customer = await checkout.identify(identification.method, identification.value)
        except UnknownCustomer as error:
            self.looking_up = False
            self.cashier_app.loyalty_answered()
            if identification.method == "phone":
                await self.enrol(identification.shown)
            else:
                self.report(error, title="Customer not found", presented=identification)
            return
        except (LoyaltyError, InvalidPhoneNumber) as error:
            self.report(error, title="Customer not found", presented=identification)
            return
        finally:
            self.looking_up = False
        self.cashier_app.loyalty_answered()
        self.set_customer(customer)

    async def enrol(self, phone: str) -> None:
        checkout = self.cashier_app.checkout
        program = checkout.program
        form = await self.app.push_screen_wait(
            EnrolScreen(
                phone,
                checkout.region,
                terms_version=program.terms_version if program else "",
                privacy_notice=program.privacy_notice if program else "",
            )
        )
        if form is None:
            return
        self.looking_up = True
        try:
            customer = await checkout.enrol(phone=form.phone.e164, name=form.name, marketing=form.marketing)
        except (LoyaltyError, InvalidPhoneNumber, ValueError) as error:
            self.report(error, title="Not enrolled")
            return
        finally:
            self.looking_up = False
        self.cashier_app.loyalty_answered()
        self.notify(f"{customer.display_name} is now a member.", title="Enrolled")
        self.post_message(self.Enrolled(customer))
        self.set_customer(customer)

    def set_customer(self, customer: AccountSummary | None) -> None:
        if self.sale is not None:
            self.sale = self.sale.with_customer(customer)

    def action_remove_customer(self) -> None:
        self.set_customer(None)

    # -- help and training -----------------------------------------------------------------------

    def action_help(self) -> None:
        from cashier_tui.screens.help import HelpScreen

        # The keys as bound now (a keymap may have moved them), this screen's first, then the app's.
        keys: dict[str, tuple[str, str]] = {}
        for _, bindings in self._binding_chain:  # every key, usable now or not, as the keymap left it
            for key, binding in bindings:
                if binding.tooltip and binding.id not in ("register.line_up", "register.line_down"):
                    keys.setdefault(binding.id or key, (self.app.get_key_display(replace(binding, key=key)).upper(),
                                                       binding.tooltip))
        self.app.push_screen(HelpScreen(list(keys.values())))

    @work(exclusive=True, group="dialog")
    async def action_training(self) -> None:
        """Behind the trainer's PIN, the register closes and reopens in training mode."""
        from cashier_tui.training.trainer_pin import TrainerPinScreen

        app = self.cashier_app
        if await app.push_screen_wait(TrainerPinScreen(app.settings.trainer_pin)):
            app.switch_to_training = True
            app.exit()

    # -- live updates and adjustments ------------------------------------------------------------

    @work(exclusive=True, group="live")
    async def follow_customer(self, account_id: str) -> None:
        """While this customer is on the sale, show points changed elsewhere (the app, another
        store) at once. Cancelled when the customer changes or the sale ends."""
        try:
            async for summary in current_summaries(self.cashier_app.checkout, account_id):
                self._customer_refreshed(summary)
        except LoyaltyError:
            return  # the key refused, the account gone, or no live updates there: nothing to follow
        except Exception as error:  # best effort: a fault here must never stop the till
            self.log.error(f"live updates stopped: {type(error).__name__}")

    def _customer_refreshed(self, summary: AccountSummary) -> None:
        sale = self.sale
        current = sale.customer if sale is not None else None
        if sale is None or current is None or current.account_id != summary.account_id:
            return
        if current.provisional or standing(current) != standing(summary):
            self.sale = sale.with_customer(summary)

    @work(exclusive=True, group="dialog")
    async def action_adjust_points(self) -> None:
        sale = self.sale
        if sale is None or sale.customer is None:
            return
        account_id = sale.customer.account_id
        checkout = self.cashier_app.checkout

        async def submit(points: int, reason: str, pin: str) -> AccountSummary:
            return await checkout.adjust_points(account_id, points=points, reason=reason, manager_pin=pin)

        summary = await self.app.push_screen_wait(AdjustPointsScreen(sale.customer, submit))
        if summary is None:
            return
        self.cashier_app.loyalty_answered()
        self.notify(f"{summary.display_name} now has {summary.balance:,} pts.", title="Points adjusted")
        if self.sale is not None and self.sale.customer is not None and self.sale.customer.account_id == account_id:
            self.sale = self.sale.with_customer(summary)

    # -- returns ---------------------------------------------------------------------------------

    def action_return_items(self) -> None:
        self.open_return()

    def open_return(self, sale_id: str | None = None) -> None:
        """The return screen, looking up ``sale_id`` at once when a receipt was scanned."""
        top = self.app.screen
        if isinstance(top, ReturnScreen):
            if sale_id is not None:
                top.receipt_scanned(sale_id)
            return
        if top is not self:
            self.notify("Finish or close the open window first, then press F12 to return items.",
                        title="Return not started", severity="warning")
            return
        checkout = self.cashier_app.checkout
        self.app.push_screen(ReturnScreen(checkout, checkout.currency, sale_id=sale_id), self._return_closed)

    def _return_closed(self, result: ReturnResult | None) -> None:
        if result is not None:
            self.cashier_app.loyalty_answered()
        self.query_one("#item-entry", Input).focus()

    # -- rewards held --------------------------------------------------------------------------------

    def _release_outdated_hold(self, old: Sale | None, new: Sale | None) -> None:
        """The rewards' points held for ``old`` go back when its rewards, customer or the sale
        itself changed (removed, voided, customer taken off). A paid sale's hold was redeemed."""
        checkout = self.cashier_app.checkout
        if old is None or checkout.hold_for(old.sale_id) is None:
            return
        if new is not None and new.sale_id == old.sale_id and checkout.hold_fits(new):
            return
        self.release_hold(old.sale_id)

    @work(group="holds")
    async def release_hold(self, sale_id: str) -> None:
        # Best effort: with the service away the reservation expires by itself.
        await self.cashier_app.checkout.release_hold(sale_id)

    # -- rewards and the quote -------------------------------------------------------------------

    @work(exclusive=True, group="dialog")
    async def action_rewards(self) -> None:
        sale = self.sale
        if sale is None or sale.customer is None:
            return
        chosen = await self.app.push_screen_wait(RewardsScreen(sale.customer, sale.rewards))
        if chosen is None or self.sale is None or chosen == self.sale.rewards:
            return
        candidate = _ordered(self.sale, chosen)
        self.quote_pending = True
        try:
            quote = await self.cashier_app.checkout.quote(candidate)
            # Reserve the rewards' points, so another till cannot spend them before this sale is paid.
            await self.cashier_app.checkout.hold_rewards(candidate)
        except LoyaltyError as error:
            self.report(error, title="Reward not applied")
            return
        finally:
            self.quote_pending = False
        self.cashier_app.loyalty_answered()
        self._prequoted = candidate
        self.sale = candidate
        self.quote = quote

    @work(exclusive=True, group="quote")
    async def refresh_quote(self) -> None:
        sale = self.sale
        if sale is None:
            return
        self.quote_pending = True
        try:
            quote = await self.cashier_app.checkout.quote(sale)
        except (RewardNotAvailable, RewardsNeedTheService) as error:
            if sale is self.sale and sale.rewards:
                why = (
                    "Rewards cannot be used while the loyalty service is offline"
                    if isinstance(error, RewardsNeedTheService)
                    else "The basket changed, so its rewards no longer apply"
                )
                self.notify(
                    f"{why}; they were taken off. Press F3 to use them again.",
                    title="Rewards removed",
                    severity="warning",
                )
                self.sale = _ordered(sale, ())
            return
        except LoyaltyError as error:
            self.report(error, title="Points not worked out")
            return
        finally:
            self.quote_pending = False
        self.cashier_app.loyalty_answered()
        if sale is self.sale:
            self.quote = quote

    # -- payment ---------------------------------------------------------------------------------

    @work(exclusive=True, group="dialog")
    async def action_pay(self) -> None:
        app = self.cashier_app
        sale = self.sale
        if sale is None or not sale.basket.lines:
            return
        quote = self.quote
        if sale.customer is not None and quote is None:
            # The total with rewards comes from the service; never charge a guessed amount.
            self.workers.cancel_group(self, "quote")
            self.quote_pending = True
            try:
                quote = await app.checkout.quote(sale)
            except LoyaltyError as error:
                self.report(error, title="Cannot total with loyalty")
                return
            finally:
                self.quote_pending = False
            self.quote = quote
        due = amount_due(sale, quote)
        tender = await app.push_screen_wait(PaymentScreen(due, sale.currency))
        if tender is None or self.sale is not sale:
            return
        await self._complete(sale, tender, quote)

    async def _complete(self, sale: Sale, tender: tuple[Tender, ...], quote: Quote | None) -> None:
        app = self.cashier_app
        # This sale's own points change is not news from elsewhere: stop following first.
        self.workers.cancel_group(self, "live")
        try:
            done = await app.checkout.complete(sale, tender, quote)
        except OutboxError as error:
            self._follow_again(sale)
            self.notify(
                f"This sale is NOT finished: {error}. Do not give a receipt; call your supervisor or IT.",
                title="Sale not saved",
                severity="error",
                timeout=30,
            )
            return
        except ValueError as error:
            self._follow_again(sale)
            self.report(error, title="Payment")
            return
        self.post_message(self.SalePaid(done))
        if done.loyalty is not None:
            app.loyalty_answered()
        await self._show_receipt(done)

    def _follow_again(self, sale: Sale) -> None:
        """The sale did not finish, so its customer is still on it."""
        if sale.customer is not None and self.sale is sale:
            self.follow_customer(sale.customer.account_id)

    async def _show_receipt(self, done: CompletedSale) -> None:
        app = self.cashier_app
        program = app.checkout.program
        lines = render_receipt(
            done,
            ReceiptHeader(
                store_name=app.settings.store_name,
                privacy_notice=program.privacy_notice if program else "",
                width=app.settings.receipt_width,
                training=app.training,
            ),
        )
        self.start_new_sale()
        await app.push_screen_wait(ReceiptScreen(done, lines))
        self.query_one("#item-entry", Input).focus()

    # -- errors ----------------------------------------------------------------------------------

    def report(self, error: BaseException, *, title: str, presented: Identification | None = None) -> None:
        self.cashier_app.loyalty_failed(error)
        message = cashier_message(error, presented.method if presented else "phone")
        self.notify(message, title=title, severity="error", timeout=8, markup=False)


def _ordered(sale: Sale, rewards: tuple[str, ...]) -> Sale:
    """The sale with exactly ``rewards``, in that order."""
    for reward_id in sale.rewards:
        sale = sale.with_reward(reward_id, False)
    for reward_id in rewards:
        sale = sale.with_reward(reward_id, True)
    return sale
