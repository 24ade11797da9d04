"""The register: ring up items, identify the customer, apply rewards, take payment.

A view of the till's ``SaleSession`` (pos_core), which owns the sale, its quote, holds and live
follow: the screen mirrors it in reactives that flow down to the widgets by ``data_bind``, and
turns keys into the session's calls, each in a worker. The widgets only render.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, cast

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Input

from cashier_tui.error_messages import cashier_message
from cashier_tui.screens.adjust_points import AdjustPointsScreen
from cashier_tui.screens.confirm import ConfirmScreen
from cashier_tui.screens.email_receipt import EmailReceiptScreen
from cashier_tui.screens.enrol import EnrolScreen
from cashier_tui.screens.manager_pin import ManagerPinScreen
from cashier_tui.screens.manager_reports import ManagerReportsScreen, is_offline, refusal_words
from cashier_tui.screens.order_pickup import OrderPickupScreen
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
from devices.payload import BAD_PICKUP_CODE, classify, shown_code
from pos_core.checkout import Checkout
from pos_core.loyalty_errors import LoyaltyError, RewardsNeedTheService
from pos_core.loyalty_models import AccountSummary, Quote, ReturnResult
from pos_core.outbox import OutboxError
from pos_core.phone_number import InvalidPhoneNumber
from pos_core.printed_receipt import printed_sale
from pos_core.receipt_by_email import enrolled_email_words, sale_words, takes_email_receipt
from pos_core.sale import CompletedSale, Sale
from pos_core.sale_session import Enrolment, Notice, SaleSession
from pos_core.settings import Settings
from pos_core.shown_text import printable
from pos_core.store_figures import StoreFigures
from till_tui.keys_footer import KeysFooter
from till_tui.workers import till_work

if TYPE_CHECKING:
    from cashier_tui.app import CashierApp


NOT_IN_TRAINING = ("The manager screen is not available in training: the store's figures are"
                   " not for practice.")


class RegisterScreen(Screen[None]):
    # In key order. The footer shows what works now and must fit 80 columns, so the rarely used
    # keys (F1 help, F7, F9, Ctrl+E, Ctrl+T, Ctrl+B) are left out of it: the top line says "F1 help", and the help
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
        # Before the item field's own Ctrl+E (cursor to the end, which End does too). Off the footer, which is full.
        Binding("ctrl+e", "email_receipt", "E-mail", show=False, priority=True, id="register.email_receipt",
                tooltip="E-mail the receipt for this sale: to the customer's address on file, or one typed for this sale"),
        Binding("f12", "return_items", "Return", id="register.return", tooltip="Return items from an earlier sale"),
        Binding("up", "move_line(-1)", "Up", show=False, id="register.line_up",
                tooltip="Highlight the line above"),
        Binding("down", "move_line(1)", "Down", show=False, id="register.line_down",
                tooltip="Highlight the line below"),
        Binding("ctrl+t", "training", "Training", show=False, id="register.training",
                tooltip="Switch this register into training mode (needs the trainer's PIN)"),
        Binding("ctrl+b", "manager_reports", "Manager", show=False, id="register.manager_reports",
                tooltip="The manager screen: today's participation, the week's enrolments, rewards (needs a manager's PIN)"),
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

    # The screen holds the session's state for its widgets to follow (data_bind); each widget
    # redraws what changed in it. The screen itself is never repainted for a change: a repaint of
    # the screen redraws every widget on it, which was most of the time from a customer found to
    # the panel on screen.
    sale: reactive[Sale | None] = reactive(None, repaint=False)
    quote: reactive[Quote | None] = reactive(None, repaint=False)
    quote_pending: reactive[bool] = reactive(False, repaint=False)
    looking_up: reactive[bool] = reactive(False, repaint=False)

    def __init__(self, session: SaleSession, settings: Settings) -> None:
        super().__init__()
        # The sale itself, its quote, holds and live follow live in the session; this screen
        # shows them (the reactives below mirror it) and turns keys into its calls.
        self.session = session
        self.settings = settings

    @property
    def cashier_app(self) -> CashierApp:
        return cast("CashierApp", self.app)

    @property
    def checkout(self) -> Checkout:
        return self.session.checkout

    @property
    def item_entry(self) -> Input:
        return self.query_one("#item-entry", Input)

    @property
    def status_bar(self) -> StatusBar:
        return self.query_one(StatusBar)

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
        yield KeysFooter()

    def on_mount(self) -> None:
        app = self.cashier_app
        status = self.status_bar
        status.location = f"{self.settings.store_name} · {self.settings.terminal_id}"
        self.watch(app, "service_state", lambda state: setattr(status, "service_state", state))
        self.watch(app, "waiting_sales", lambda count: setattr(status, "waiting_sales", count))
        self.watch(app, "stuck_sales", lambda count: setattr(status, "stuck_sales", count))
        self.watch(app, "storage_problem", lambda problem: setattr(status, "storage_problem", problem))
        self.watch(app, "printer_status", lambda printer: setattr(status, "printer_status", printer))
        self.watch(app, "pole_problem", lambda problem: setattr(status, "pole_problem", problem))
        self.watch(app, "cashier", lambda cashier: setattr(status, "cashier", cashier))
        self.query_one("#basket").border_title = "Basket"
        self.query_one("#loyalty-panel").border_title = "Customer"
        self.session.on_change = self._session_changed
        self.session.on_notice = self._session_notice
        self._session_changed()
        self.watch(app, "store_loaded", self._store_loaded)

    def _session_changed(self) -> None:
        """The session moved on: show it (the widgets follow these reactives)."""
        session = self.session
        self.sale = session.sale
        self.quote = session.quote
        self.quote_pending = session.quote_pending
        self.looking_up = session.looking_up

    def _session_notice(self, notice: Notice) -> None:
        if notice.kind == "rewards_removed":
            why = (
                "Rewards cannot be used while the loyalty service is offline"
                if isinstance(notice.error, RewardsNeedTheService)
                else "The basket changed, so its rewards no longer apply"
            )
            self.notify(f"{why}; they were taken off. Press F3 to use them again.",
                        title="Rewards removed", severity="warning")
        elif notice.error is not None:
            self.report(notice.error, title="Points not worked out")

    def _store_loaded(self, loaded: bool) -> None:
        if not loaded:
            return
        entry = self.item_entry
        entry.placeholder = "Scan or type a code (3*1001 for three)"
        entry.disabled = False
        entry.focus()
        if self.session.sale is None:
            self.session.start()

    # -- keys that work now ----------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.session.paying:
            return action == "help"  # the sale is being paid for: nothing may change it
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
        if action == "email_receipt":
            return takes_email_receipt(customer)
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
        self._refresh_keys()  # "Why pts?" shows only while there is a quote to explain

    def watch_sale(self) -> None:
        self._refresh_keys()

    def _refresh_keys(self) -> None:
        """Refresh the footer only when a key's use changed: each refresh rebuilds the whole footer,
        which would otherwise happen on every item scanned and in the frame a customer is shown."""
        usable = tuple(self.check_action(binding.action, ()) for binding in self.BINDINGS)
        if usable != getattr(self, "_usable_keys", None):
            self._usable_keys = usable
            self.refresh_bindings()

    def action_why_points(self) -> None:
        if self.quote is not None:
            self.app.push_screen(PointsBreakdownScreen(self.quote))

    # -- items -----------------------------------------------------------------------------------

    @on(Input.Submitted, "#item-entry")
    def item_entered(self, event: Input.Submitted) -> None:
        event.input.value = ""
        catalog = self.checkout.catalog
        if self.sale is None or catalog is None:
            return
        text = event.value.strip()
        if "*" not in text and catalog.lookup(text) is None:
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
            if payload.kind == "order" and payload.pickup_code:
                self.open_order(payload.pickup_code)
                return
            if payload.kind == "unknown" and payload.message == BAD_PICKUP_CODE:
                self.cashier_app.refuse_scan(payload.message, payment=False)  # not "no such product"
                return
        self.add_item(text)

    def add_item(self, text: str) -> None:
        """Add what the item field or a scanner read: ``1001``, an EAN, or ``3*1001``."""
        if self.sale is None:
            return
        refused = self.session.add(text)
        if refused is None or refused.reason == "not_ready":
            return
        if refused.reason == "paying":
            self.notify("Finish the payment first, then scan the item again.", title="Item not added",
                        severity="warning")
        elif refused.reason == "unknown_product":
            self.notify(
                f"No product has the code {shown_code(refused.detail)}. Scan the item again or type the code on its label.",
                title="Unknown code", severity="warning", markup=False,
            )
        else:
            self.notify(f"{refused.detail.rstrip('.')}.", severity="warning", markup=False)

    def action_move_line(self, step: int) -> None:
        basket = self.query_one(BasketView)
        if basket.row_count:
            basket.move_cursor(row=max(0, min(basket.row_count - 1, basket.cursor_row + step)))

    def action_void_line(self) -> None:
        index = self.query_one(BasketView).selected_index
        if index is not None:
            self.session.void_line(index)

    @till_work(exclusive=True, group="dialog")
    async def action_quantity(self) -> None:
        index = self.query_one(BasketView).selected_index
        if self.sale is None or index is None:
            return
        line = self.sale.basket.lines[index]
        quantity = await self.app.push_screen_wait(QuantityScreen(line.product.name, line.quantity))
        if quantity is not None and (refused := self.session.set_quantity(index, quantity)):
            self.notify(f"{refused.detail.rstrip('.')}.", severity="warning", markup=False)

    @till_work(exclusive=True, group="dialog")
    async def action_void_sale(self) -> None:
        if await self.app.push_screen_wait(ConfirmScreen("Void this sale and start again?", yes="Void")):
            if self.sale is not None:
                self.post_message(self.SaleVoided(self.sale))
            self.start_new_sale()

    def start_new_sale(self) -> None:
        self.session.start()
        self.item_entry.focus()

    # -- the customer ----------------------------------------------------------------------------

    @till_work(exclusive=True, group="dialog")
    async def action_identify(self) -> None:
        identification = await self.app.push_screen_wait(PhoneEntryScreen(self.checkout.region))
        if identification is not None:
            await self._identify(identification)

    def present(self, identification: Identification) -> None:
        """The customer presented a card, an app code, a tag or a number, by any device."""
        top = self.app.screen
        if isinstance(top, PhoneEntryScreen):
            top.dismiss(identification)  # the cashier asked; the customer scanned instead
        elif top is self and self.session.paying:
            self.notify("This sale is being paid for: the customer goes on the next sale.",
                        title="Customer not looked up", severity="warning")
        elif top is self:
            self._identify_presented(identification)
        else:
            self.notify(
                "Finish or close the open window first, then scan the customer's card or code again.",
                title="Customer not looked up",
                severity="warning",
            )

    @till_work(exclusive=True, group="dialog")
    async def _identify_presented(self, identification: Identification) -> None:
        await self._identify(identification)

    async def _identify(self, identification: Identification) -> None:
        if self.sale is None:
            return
        self.post_message(self.CustomerLookup(identification))
        enrolling = False
        asked_email = False

        async def join(phone: str) -> Enrolment | None:
            nonlocal enrolling, asked_email
            program = self.checkout.program
            form = await self.app.push_screen_wait(
                EnrolScreen(
                    phone,
                    self.checkout.region,
                    terms_version=program.terms_version if program else "",
                    privacy_notice=program.privacy_notice if program else "",
                    feed=self.session.feed,
                )
            )
            enrolling = form is not None
            if form is None:
                return None
            asked_email = bool(form.email)
            return Enrolment(form.phone.e164, form.name, form.marketing, form.given_at, form.referral_code,
                             form.email, form.email_receipts)

        try:
            customer = await self.session.sign_in(
                identification.method, identification.value, identification.shown, join=join
            )
        except (LoyaltyError, InvalidPhoneNumber, ValueError) as error:
            if enrolling:
                self.report(error, title="Not enrolled")
            else:
                self.report(error, title="Customer not found", presented=identification)
            return
        if enrolling and customer is not None:
            self.notify(f"{customer.display_name} is now a member.{enrolled_email_words(customer, asked_email)}",
                        title="Enrolled", markup=False)
            self.post_message(self.Enrolled(customer))

    def action_remove_customer(self) -> None:
        self.session.set_customer(None)

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

    @till_work(exclusive=True, group="dialog")
    async def action_training(self) -> None:
        """Behind the trainer's PIN, the register closes and reopens in training mode."""
        from cashier_tui.training.trainer_pin import TrainerPinScreen

        app = self.cashier_app
        if await app.push_screen_wait(TrainerPinScreen(self.settings.trainer_pin)):
            app.switch_to_training = True
            app.exit()

    # -- adjustments -----------------------------------------------------------------------------

    @till_work(exclusive=True, group="dialog")
    async def action_adjust_points(self) -> None:
        sale = self.sale
        if sale is None or sale.customer is None:
            return
        account_id = sale.customer.account_id
        session = self.session

        async def submit(points: int, reason: str, manager: str, pin: str) -> AccountSummary:
            return await session.adjust_points(account_id, points=points, reason=reason, manager_id=manager,
                                               manager_pin=pin)

        summary = await self.app.push_screen_wait(AdjustPointsScreen(sale.customer, submit))
        if summary is not None:
            self.notify(f"{summary.display_name} now has {summary.balance:,} pts.",
                        title="Points adjusted", markup=False)

    # -- the manager screen ----------------------------------------------------------------------

    @till_work(exclusive=True, group="dialog")
    async def action_manager_reports(self) -> None:
        """Behind a manager's id and PIN, this store's figures; the sale stays as it is underneath."""
        app = self.cashier_app
        if app.training:
            self.notify(NOT_IN_TRAINING, title="Manager screen", severity="warning")
            return
        approval = await self.app.push_screen_wait(ManagerPinScreen(
            "The manager screen shows this store's figures: participation, enrolments and rewards."))
        if approval is None:
            return
        session = self.session

        async def fetch() -> StoreFigures:
            return await session.store_figures(approval.manager_id, approval.pin)

        figures, problem = None, None
        try:
            figures = await fetch()  # the PIN is checked here: a wrong one never opens the screen
        except LoyaltyError as error:
            problem = refusal_words(error)
            if not is_offline(error):  # offline, the screen opens to say so, and R tries again
                self.notify(problem, title="Manager screen not opened", severity="error", markup=False)
                return
        where = printable(f"{self.settings.store_name} · {self.settings.terminal_id}")
        await self.app.push_screen_wait(ManagerReportsScreen(
            fetch, where=where, signed_on=self.checkout.cashier_id, figures=figures, problem=problem))
        self.item_entry.focus()

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
        checkout = self.checkout
        app = self.cashier_app
        self.app.push_screen(ReturnScreen(checkout, checkout.currency, app.receipt_header(), sale_id=sale_id,
                                          print_receipt=app.print_receipt),
                             self._return_closed)

    def _return_closed(self, result: ReturnResult | None) -> None:
        self.item_entry.focus()

    # -- click & collect -------------------------------------------------------------------------

    def open_order(self, pickup_code: str) -> None:
        """The order a pickup code names, scanned or typed; its customer goes on the sale."""
        top = self.app.screen
        if isinstance(top, OrderPickupScreen):
            top.code_scanned(pickup_code)
            return
        if top is not self:
            self.notify("Finish or close the open window first, then scan the order's code again.",
                        title="Order not looked up", severity="warning")
            return
        app = self.cashier_app
        self.app.push_screen(OrderPickupScreen(self.session, pickup_code, app.receipt_header(),
                                               terminal_id=self.settings.terminal_id, print_receipt=app.print_receipt),
                             lambda _done: self.item_entry.focus())

    # -- rewards and the quote -------------------------------------------------------------------

    @till_work(exclusive=True, group="dialog")
    async def action_rewards(self) -> None:
        sale = self.sale
        if sale is None or sale.customer is None:
            return
        chosen = await self.app.push_screen_wait(RewardsScreen(sale.customer, sale.rewards))
        if chosen is None:
            return
        try:
            await self.session.apply_rewards(chosen)
        except LoyaltyError as error:
            self.report(error, title="Reward not applied")

    # -- the receipt by e-mail ------------------------------------------------------------------

    @till_work(exclusive=True, group="dialog")
    async def action_email_receipt(self) -> None:
        sale = self.sale
        if sale is None or sale.customer is None or not takes_email_receipt(sale.customer):
            return
        choice = await self.app.push_screen_wait(EmailReceiptScreen(sale.customer.email_masked))
        if choice is not None and self.session.choose_email_receipt(choice.send, choice.address):
            words = sale_words(self.session.sale) if self.session.sale is not None else None
            self.notify(words or "Paper receipt only.", title="Receipt", markup=False)

    # -- payment ---------------------------------------------------------------------------------

    @till_work(exclusive=True, group="payment")
    async def action_pay(self) -> None:
        # Its own group: no other window's worker can cancel a payment half-way.
        session = self.session
        try:
            # The total with rewards comes from the service; never charge a guessed amount.
            payment = await session.begin_payment()
        except LoyaltyError as error:
            self.report(error, title="Cannot total with loyalty")
            return
        if payment is None:
            return
        tender = await self.app.push_screen_wait(PaymentScreen(payment.due, payment.sale.currency))
        if tender is None:
            session.cancel_payment()
            return
        try:
            done = await session.complete(tender)
        except OutboxError as error:
            self.notify(
                f"This sale is NOT finished: {error}. Do not give a receipt; call your supervisor or IT.",
                title="Sale not saved",
                severity="error",
                timeout=30,
                markup=False,
            )
            return
        except ValueError as error:
            self.report(error, title="Payment")
            return
        self.post_message(self.SalePaid(done))
        await self._show_receipt(done)

    async def _show_receipt(self, done: CompletedSale) -> None:
        # One document for the screen and the paper, so they never differ; printing runs beside the sale.
        printed = printed_sale(done, self.cashier_app.receipt_header())
        self.cashier_app.print_receipt(printed)
        self.start_new_sale()
        await self.app.push_screen_wait(ReceiptScreen(done, list(printed.lines)))
        self.item_entry.focus()

    # -- errors ----------------------------------------------------------------------------------

    def report(self, error: BaseException, *, title: str, presented: Identification | None = None) -> None:
        message = cashier_message(error, presented.method if presented else "phone")
        self.notify(message, title=title, severity="error", timeout=8, markup=False)
