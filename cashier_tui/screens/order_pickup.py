"""A click & collect order at the register: its pickup code scanned or typed, the order shown
(lines, what was paid online, whether it is still to collect) with its customer, whose panel the
register shows beside it; F10 records the hand-over, and the slip shows the points.

Only the service can say an order is there and not yet collected, so with the service away the
screen says plainly that the order cannot be collected now (the goods stay in the back); the rest
of the till works as usual.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from cashier_tui.error_messages import cashier_message
from pos_core.loyalty_errors import LoyaltyError, LoyaltyUnavailable, NotFound, RequestRefused
from pos_core.money import format_money
from pos_core.pickup_order import OrderAtTill, OrderPickup
from pos_core.printed_receipt import PrintedReceipt, printed_pickup
from pos_core.receipt import ReceiptHeader
from pos_core.sale_session import SaleSession
from pos_core.shown_text import printable
from till_tui.workers import till_work

NOT_FOUND = "No order has that pickup code. Check the code in the customer's e-mail, or scan it again."
OFFLINE = ("The loyalty service cannot be reached, so this order cannot be collected now: do not hand over"
           " the goods. Try again in a moment; everything else on the till works as usual.")
COLLECTED = "Collected: hand over the goods."
ALREADY = "This order has already been collected"


class OrderPickupScreen(ModalScreen[OrderPickup | None]):
    BINDINGS = [
        Binding("escape", "close", "Close", id="order.close", tooltip="Close; the order stays as it is"),
        Binding("f10", "collect", "Collected", id="order.collect",
                tooltip="The customer has the goods: record the collection and credit the points"),
    ]

    def __init__(self, session: SaleSession, pickup_code: str, header: ReceiptHeader, *, terminal_id: str,
                 print_receipt: Callable[[PrintedReceipt], None] | None = None) -> None:
        super().__init__()
        self.session = session
        self.pickup_code = pickup_code
        self.header = header
        self.terminal_id = terminal_id
        self.print_receipt = print_receipt
        self.found: OrderAtTill | None = None
        self.result: OrderPickup | None = None

    @property
    def problem(self) -> Label:
        return self.query_one("#order-problem", Label)

    def say(self, text: str, *, problem: bool = False) -> None:
        """The line under the order: what to do next, or (in the problem colour) what went wrong."""
        self.problem.update(text)
        self.problem.set_class(problem, "problem")

    @property
    def details(self) -> Static:
        return self.query_one("#order-details", Static)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="order-dialog"):
            yield Label("Click & collect order", classes="dialog-title")
            with VerticalScroll(id="order-body"):
                yield Static("", id="order-details")
            yield Label("Looking up the order…", id="order-problem", markup=False)
            yield Label("F10  collected    Esc  close", id="order-keys", classes="hint")

    def on_mount(self) -> None:
        self.find()

    def code_scanned(self, pickup_code: str) -> None:
        """Another pickup code was scanned while this screen is open (before a hand-over)."""
        if self.result is None:
            self.pickup_code, self.found = pickup_code, None
            self.say("Looking up the order…")
            self.details.update("")
            self.find()

    @till_work(exclusive=True, group="order")
    async def find(self) -> None:
        try:
            found = await self.session.find_order(self.pickup_code)
        except LoyaltyError as error:
            self.say(self._refusal(error), problem=True)
            return
        self.found = found
        self.details.update(self._order_text(found))
        order = found.order
        if order.collected:
            self.say(f"{ALREADY} ({printable(order.collected_terminal_id or '')}): nothing to hand over.", problem=True)
        else:
            self.say("Bring the order from the back, check it with the customer, then press F10.")
        self.refresh_bindings()

    def _order_text(self, found: OrderAtTill) -> Text:
        # Names are data: plain Text, never markup.
        order = found.order
        lines = [f"Order {printable(order.order_id)} · {printable(found.customer.display_name)}", ""]
        for line in order.lines:
            amount = format_money(line.quantity * line.unit_price, order.currency)
            lines.append(f"{line.quantity} x {printable(line.name)}  {amount}")
        lines.append("")
        lines.append(f"Paid online  {format_money(order.paid_total, order.currency)}")
        status = "collected" if order.collected else "ready to collect"
        lines.append(f"Status  {status}")
        if order.points_at == "at_order":
            lines.append(f"Points  +{order.points_earned or 0:,} (credited when ordered)")
        else:
            lines.append("Points  credited when collected")
        return Text("\n".join(lines), no_wrap=True, overflow="ellipsis")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "collect":
            return self.found is not None and not self.found.order.collected and self.result is None
        return True

    def action_collect(self) -> None:
        if self.found is not None and self.result is None and not self.found.order.collected:
            self.collect(self.found)

    @till_work(exclusive=True, group="order")
    async def collect(self, found: OrderAtTill) -> None:
        self.say("Recording the collection…")
        try:
            done = await self.session.collect_order(found.order)
        except LoyaltyError as error:
            self.say(self._refusal(error), problem=True)
            return
        self.result = done
        printed = printed_pickup(done, self.header, customer_name=found.customer.display_name,
                                 terminal_id=self.terminal_id)
        if self.print_receipt is not None:
            self.print_receipt(printed)
        self.details.update(Text("\n".join(printable(line) for line in printed.lines), no_wrap=True, overflow="crop"))
        self.say(COLLECTED)
        self.query_one("#order-keys", Label).update("Esc  close")
        self.refresh_bindings()
        earned = done.points_credited if done.order.points_at == "at_pickup" else 0
        self.notify(f"Order collected. Points +{earned:,}; balance {done.balance:,} pts.", title="Collected",
                    markup=False)

    @staticmethod
    def _refusal(error: LoyaltyError) -> str:
        if isinstance(error, LoyaltyUnavailable) and error.status != 429:
            return OFFLINE
        if isinstance(error, NotFound):
            return NOT_FOUND
        if isinstance(error, RequestRefused) and error.code == "wrong_store":
            return f"Not this store's order: {error.message} Send the customer to that store."
        return f"Not collected: {cashier_message(error)}"

    def action_close(self) -> None:
        self.dismiss(self.result)
