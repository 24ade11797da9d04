"""The register app and ``make_app()``, the one factory the CLI and the tests share."""

from __future__ import annotations

from collections.abc import Iterable

from textual import on
from textual.app import SystemCommand
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import Screen

import themes
from cashier_tui.error_messages import cashier_message
from cashier_tui.screens.enrol import EnrolScreen
from cashier_tui.screens.register import RegisterScreen
from cashier_tui.screens.staff_sign_on import StaffSignOnScreen
from devices_tui.messages import (
    DeviceProblem,
    Identified,
    ItemScanned,
    OrderScanned,
    ReceiptScanned,
    ReferralScanned,
    ScanRejected,
)
from pos_core.checkout import Checkout, till_dir
from pos_core.loyalty_client import LoyaltyClient
from pos_core.loyalty_errors import LoyaltyError
from pos_core.outbox_sender import SetAside
from pos_core.settings import Settings
from pos_core.staff_sign_on import SignedOn, StaffSignOn
from till_tui.till_app import TillApp


class CashierApp(TillApp):
    TITLE = "Register"
    APP_NAME = "cashier-tui"
    CSS_PATH = themes.CASHIER_CSS
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", show=False, id="app.quit", tooltip="Close the register", priority=True),
        Binding("ctrl+p", "reprint", "Reprint", show=False, id="app.reprint",
                tooltip="Print the last receipt again, or the receipts that did not print", priority=True),
        Binding("ctrl+l", "lock", "Lock", show=False, id="app.lock",
                tooltip="Lock the register until a cashier signs on (the sale is kept)", priority=True),
    ]
    # Ctrl+P is the receipt's reprint, as on most tills; the command palette moves aside.
    COMMAND_PALETTE_BINDING = "ctrl+backslash"

    # Training mode (cashier_tui/training): a sandbox service, receipts marked "not a receipt".
    training: bool = False
    # Set before exit when the trainer asked to switch this register into training (Ctrl+T).
    switch_to_training: bool = False
    # Whether ``[register] sign_on`` applies: training keeps its own trainees instead (training/).
    signs_on_staff: bool = True
    # Who is signed on, for the status line: "Sam Carter", "" when nobody signs on here.
    cashier: reactive[str] = reactive("")

    def __init__(self, settings: Settings, checkout: Checkout) -> None:
        super().__init__(settings, checkout)
        self._theme_problem: str | None = None
        for theme in themes.bundled_themes():
            self.register_theme(theme)
        if settings.theme in self.available_themes:
            self.theme = settings.theme
        else:
            self.theme = themes.DEFAULT_THEME
            self._theme_problem = f"There is no theme called {settings.theme!r}; using {themes.DEFAULT_THEME!r}."
        if settings.keymap:
            self.set_keymap(settings.keymap)
        self.register_screen = self.make_register_screen()
        self.staff_sign_on = (StaffSignOn(checkout.client, till_dir(settings))
                              if settings.register.sign_on and self.signs_on_staff else None)

    def make_register_screen(self) -> RegisterScreen:
        return RegisterScreen(self.session, self.settings)

    def on_mount(self) -> None:
        self.push_screen(self.register_screen)
        self.action_lock()  # the start of a shift: the register asks who is selling
        if self._theme_problem:
            self.notify(self._theme_problem, severity="warning", markup=False)
        self.start_till()
        if self.set_aside_count:
            self.notify(
                f"{self.set_aside_count} sale(s) were refused by the loyalty service and are kept on this till"
                " (not sent again). Tell your supervisor.",
                title="Sales set aside",
                severity="warning",
                timeout=30,
            )

    async def on_unmount(self) -> None:
        await self.stop_till()

    # -- cashiers (pos_core/staff_sign_on.py) ------------------------------------------------------

    @property
    def locked(self) -> bool:
        return isinstance(self.screen, StaffSignOnScreen)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "lock" and self.staff_sign_on is None:
            return False
        return super().check_action(action, parameters)

    def action_lock(self) -> None:
        """Cover the register until someone signs on; whatever sale is open stays as it is."""
        if self.staff_sign_on is None or self.locked:
            return
        where = f"{self.settings.store_name} · {self.settings.terminal_id}"
        self.push_screen(StaffSignOnScreen(self.staff_sign_on, where, locked_by=self.cashier or None),
                         callback=self._signed_on)

    def _signed_on(self, signed: SignedOn | None) -> None:
        if signed is None:
            return
        self.checkout.cashier_id = signed.staff_id
        self.cashier = signed.name
        if signed.offline:
            self.notify(f"{signed.name} signed on while the loyalty service is offline: the PIN was checked by"
                        " this till from your last sign-on here, not by the service.",
                        title="Signed on offline", severity="warning", timeout=15, markup=False)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        if screen is self.register_screen:
            yield SystemCommand("Manager screen", "Today's participation, the week's enrolments and rewards"
                                " (needs a manager's PIN)", self.register_screen.action_manager_reports)

    # -- devices ---------------------------------------------------------------------------------

    @on(Identified)
    def customer_presented(self, message: Identified) -> None:
        if self.locked:
            self.notify("The register is locked: sign on first, then present the card again.",
                        title="Not identified", severity="warning")
            return
        self.register_screen.present(message.identification)

    @on(ItemScanned)
    def item_scanned(self, message: ItemScanned) -> None:
        if self.screen is self.register_screen:
            self.register_screen.add_item(message.entry)
        else:
            self.notify("Finish or close the open window first, then scan the item again.",
                        title="Item not added", severity="warning")

    @on(ReceiptScanned)
    def receipt_scanned(self, message: ReceiptScanned) -> None:
        # One of our receipts: the sale to return items from (the return screen, F12).
        if self.locked:
            self.notify("The register is locked: sign on first, then scan the receipt again.",
                        title="Not opened", severity="warning")
            return
        self.register_screen.open_return(message.sale_id)

    @on(OrderScanned)
    def order_scanned(self, message: OrderScanned) -> None:
        # A click & collect order's pickup code: the order, its customer, and F10 to hand it over.
        self.register_screen.open_order(message.pickup_code)

    @on(ReferralScanned)
    def referral_scanned(self, message: ReferralScanned) -> None:
        # A friend's code belongs on a new member's enrolment form; anywhere else it is only explained.
        if isinstance(self.screen, EnrolScreen):
            self.screen.take_referral_code(message.code)
        else:
            self.notify("That is a member's referral code: it goes on a new member's enrolment form"
                        " (F2, their phone number, then the form).", title="Referral code", severity="warning")

    @on(ScanRejected)
    def scan_rejected(self, message: ScanRejected) -> None:
        self.refuse_scan(message.text, payment=message.kind == "payment_card")

    def refuse_scan(self, text: str, *, payment: bool = True) -> None:
        title = "Payment card refused" if payment else "Not recognised"
        self.notify(text, title=title, severity="error", timeout=10, markup=False)

    @on(DeviceProblem)
    def device_problem(self, message: DeviceProblem) -> None:
        self.notify(message.text, title=f"{message.source.upper()} unavailable", severity="warning",
                    timeout=15, markup=False)

    # -- what the till tells the cashier ---------------------------------------------------------

    def store_not_loaded(self, error: Exception, retry_in: float) -> None:
        self.notify(
            f"{cashier_message(error) if isinstance(error, (LoyaltyError, ValueError)) else 'The products could not be loaded.'}"
            " The till will retry by itself.",
            title="Products not loaded",
            severity="error",
            timeout=retry_in + 2,
            markup=False,
        )

    def all_sales_delivered(self) -> None:
        self.notify("Every waiting sale has reached the loyalty service.", title="Loyalty back in step")

    def sale_set_aside(self, set_aside: SetAside) -> None:
        self.notify(
            f"The loyalty service refused sale {set_aside.sale_id[:8].upper()}: {set_aside.reason}."
            " It is kept on this till and will not be sent again; tell your supervisor.",
            title="Sale set aside",
            severity="error",
            timeout=30,
            markup=False,
        )

    def work_failed_words(self, what: str) -> str:
        return (
            "Something went wrong on the till, but it is still running and the sale is kept:"
            " try again, or carry on. If it keeps happening, tell your supervisor."
        )


def make_app(settings: Settings, *, checkout: Checkout | None = None) -> CashierApp:
    """The register for ``settings``; ``settings.api_url`` and ``api_key`` must be set by now."""
    if checkout is None:
        if not settings.api_url or not settings.api_key:
            raise ValueError("make_app needs a loyalty api_url and api_key (the CLI starts the demo store)")
        client = LoyaltyClient(settings.api_url, settings.api_key, deadlines=settings.deadlines)
        checkout = Checkout(client, settings)
    return CashierApp(settings, checkout)
