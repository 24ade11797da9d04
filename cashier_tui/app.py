"""The register app and ``make_app()``, the one factory the CLI and the tests share."""

from __future__ import annotations

import asyncio

from textual import events, on, work
from textual.app import App
from textual.binding import Binding
from textual.reactive import reactive

import themes
from cashier_tui.error_messages import cashier_message
from cashier_tui.screens.register import RegisterScreen
from devices_tui.bridge import DeviceBridge
from devices_tui.messages import DeviceProblem, Identified, ItemScanned, ReceiptScanned, ScanRejected
from pos_core.checkout import Checkout
from pos_core.loyalty_client import LoyaltyClient
from pos_core.loyalty_errors import LoyaltyAuthError, LoyaltyError, LoyaltyUnavailable
from pos_core.outbox_sender import SenderStatus, SetAside
from pos_core.settings import Settings


class CashierApp(App[None]):
    TITLE = "Register"
    CSS_PATH = themes.CASHIER_CSS
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", show=False, id="app.quit", tooltip="Close the register", priority=True),
    ]

    # "checking" until the first answer, then "online", "offline" or "refused" (bad key).
    service_state: reactive[str] = reactive("checking")
    # Completed sales whose loyalty transaction the service has not confirmed yet.
    waiting_sales: reactive[int] = reactive(0)
    store_loaded: reactive[bool] = reactive(False)
    # Training mode (cashier_tui/training): a sandbox service, receipts marked "not a receipt".
    training: bool = False
    # Set before exit when the trainer asked to switch this register into training (Ctrl+T).
    switch_to_training: bool = False

    def __init__(self, settings: Settings, checkout: Checkout) -> None:
        super().__init__()
        self.settings = settings
        self.checkout = checkout
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
        self.devices = DeviceBridge(self, settings.devices, settings.region)
        self.register_screen = RegisterScreen()

    def on_mount(self) -> None:
        self.push_screen(self.register_screen)
        self.devices.start()
        if self._theme_problem:
            self.notify(self._theme_problem, severity="warning")
        sender = self.checkout.sender
        sender.on_status = self.outbox_status
        sender.on_set_aside = self.sale_set_aside
        self.run_worker(sender.run(), name="outbox sender", group="outbox", exclusive=True)
        set_aside = self.checkout.outbox.set_aside_sales()
        if set_aside:
            self.notify(
                f"{len(set_aside)} sale(s) were refused by the loyalty service and are kept on this till"
                " (not sent again). Tell your supervisor.",
                title="Sales set aside",
                severity="warning",
                timeout=30,
            )
        self.load_store()
        self.set_interval(self.settings.health_interval, self.check_health)

    async def on_unmount(self) -> None:
        self.devices.stop()
        await self.checkout.client.aclose()
        self.checkout.close()

    # -- devices ---------------------------------------------------------------------------------

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and not event.is_forwarded:
            await self.devices.wedge.key(event)  # a scanner's burst never reaches a text field
            return
        await super().on_event(event)

    @on(Identified)
    def customer_presented(self, message: Identified) -> None:
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
        self.register_screen.open_return(message.sale_id)

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

    def outbox_status(self, status: SenderStatus) -> None:
        drained = self.waiting_sales > 0 and status.waiting == 0
        self.waiting_sales = status.waiting
        if status.reachable is False:
            self.service_state = "offline"
        elif status.reachable:
            self.loyalty_answered()
        if drained:
            self.notify("Every waiting sale has reached the loyalty service.", title="Loyalty back in step")

    def sale_set_aside(self, set_aside: SetAside) -> None:
        self.notify(
            f"The loyalty service refused sale {set_aside.sale_id[:8].upper()}: {set_aside.reason}."
            " It is kept on this till and will not be sent again; tell your supervisor.",
            title="Sale set aside",
            severity="error",
            timeout=30,
        )

    @work(exclusive=True, group="store")
    async def load_store(self) -> None:
        """Program and products; retried until they come, since nothing can be sold without them."""
        delay = 1.0
        while True:
            try:
                await self.checkout.load_store()
            except (LoyaltyError, ValueError) as error:
                self.loyalty_failed(error)
                self.notify(
                    f"{cashier_message(error)} The till will retry by itself.",
                    title="Products not loaded",
                    severity="error",
                    timeout=delay + 2,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
                continue
            self.store_loaded = True
            return

    @work(exclusive=True, group="health")
    async def check_health(self) -> None:
        try:
            await self.checkout.client.health()
        except LoyaltyError as error:
            self.loyalty_failed(error)
        else:
            self.loyalty_answered()
            self.checkout.sender.kick()  # the service is back: deliver what waits now

    def loyalty_answered(self) -> None:
        self.service_state = "online"

    def loyalty_failed(self, error: BaseException) -> None:
        if isinstance(error, LoyaltyUnavailable) and error.status == 429:
            self.service_state = "online"  # it answered: "not now", which is not "offline"
        elif isinstance(error, LoyaltyUnavailable):
            self.service_state = "offline"
        elif isinstance(error, LoyaltyAuthError):
            self.service_state = "refused"


def make_app(settings: Settings, *, checkout: Checkout | None = None) -> CashierApp:
    """The register for ``settings``; ``settings.api_url`` and ``api_key`` must be set by now."""
    if checkout is None:
        if not settings.api_url or not settings.api_key:
            raise ValueError("make_app needs a loyalty api_url and api_key (the CLI starts the demo store)")
        client = LoyaltyClient(settings.api_url, settings.api_key, deadlines=settings.deadlines)
        checkout = Checkout(client, settings)
    return CashierApp(settings, checkout)
