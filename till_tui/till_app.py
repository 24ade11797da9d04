"""``TillApp``: what the register and the kiosk run alike, under one policy.

- The sale session (pos_core), the devices (a scanner's keys never reach a text field), the
  outbox sender and the customer displays (the feed served on ``listen``, the pole display
  written in its own thread) are started and stopped here.
- ``service_state`` is the loyalty client's own reachability (set from every real answer or
  failure, never guessed from a cached answer); the first health check runs at start, so
  "online" shows as soon as the service answers, then one every ``health_interval``.
- A worker that fails (``WorkFailed``) is logged by type only and the person at the till is
  told in plain words that selling goes on; the outbox sender is restarted if it ever stops.
- Every notification is text (``notify`` never parses markup), and a warning shows at start
  when Textual is recording keystrokes (TEXTUAL_LOG, devtools).
- The receipt printer, when ``[printer] connection`` names one: receipts go to the print queue
  (pos_core), which prints beside the sale in its own thread and keeps each receipt on the till
  until the printer has it; ``printer_status`` follows the printer's state for the screens.
- Once the store is loaded, the garbage collector's full passes run while the till is idle
  (``idle_collector``): what the till made to start is frozen out of them, and they never hold a
  customer's lookup; given back at stop.
- A real crash (an error outside any worker) exits non-zero, prints where it happened without
  any variable's value, and leaves a short crash report in the till's data folder.
"""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import events, on
from textual.app import App
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.reactive import reactive

from devices.pole_display import PoleDisplay, PoleDisplayError
from devices_tui.bridge import DeviceBridge
from pos_core.checkout import Checkout, till_dir
from pos_core.customer_display_server import DisplayAddressError, DisplayServer, bind, make_display_app
from pos_core.customer_feed import CustomerFeed
from pos_core.crash_report import crash_summary, write_crash_report
from pos_core.keystroke_logging import keystroke_recording_warning
from pos_core.loyalty_errors import LoyaltyError
from pos_core.outbox import OutboxError, SetAsideSale
from pos_core.outbox_sender import SenderStatus, SetAside
from pos_core.print_queue import PrinterStatus, PrintQueue
from pos_core.printed_receipt import PrintedReceipt, printed_sale
from pos_core.receipt import ReceiptHeader
from pos_core.pole_lines import pole_pages
from pos_core.sale import CompletedSale
from pos_core.sale_session import SaleSession
from pos_core.settings import Settings
from pos_core.shown_text import printable
from till_tui.idle_collector import IDLE_AFTER, IdleCollector
from till_tui.workers import WorkFailed, guarded, till_work

log = logging.getLogger(__name__)


@dataclass
class PoleDisplayChanged(Message):
    """The pole display's port failed (``problem`` says why) or is back (``problem`` is None).
    Posted from the display's own thread."""

    problem: str | None


class TillApp(App[None]):
    # "checking" until the first answer, then "online", "offline" or "refused" (bad key).
    service_state: reactive[str] = reactive("checking")
    # Completed sales whose loyalty transaction the service has not confirmed yet.
    waiting_sales: reactive[int] = reactive(0)
    # Sales the service refused for good, kept on this till for a supervisor.
    set_aside_count: reactive[int] = reactive(0)
    # Sales the service keeps failing with the same 5xx: kept, retried slowly, shown to a supervisor.
    stuck_sales: reactive[int] = reactive(0)
    # The till's sales file could not be read or written just now (the sender retries), or None.
    storage_problem: reactive[str | None] = reactive(None)
    # Why the pole display cannot be written now, or None (also told in a notification).
    pole_problem: reactive[str | None] = reactive(None)
    store_loaded: reactive[bool] = reactive(False)
    # The receipt printer's state and the receipts it has not printed; None: no printer configured.
    printer_status: reactive[PrinterStatus | None] = reactive(None)
    APP_NAME = "till"

    def __init__(self, settings: Settings, checkout: Checkout) -> None:
        super().__init__()
        self.settings = settings
        self.checkout = checkout
        # What the customer facing this till sees; served by start_customer_display when configured.
        self.customer_feed = CustomerFeed(store=settings.store_name, training=bool(getattr(self, "training", False)))
        self.session = SaleSession(checkout, feed=self.customer_feed)
        self.display_server: DisplayServer | None = None
        self.pole_display: PoleDisplay | None = None
        self.devices = DeviceBridge(self, settings.devices, settings.region)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._printer_problem = ""
        self.print_queue = self._make_print_queue()
        self.crash_report: Path | None = None
        self._crash_error: Exception | None = None
        self.collector = IdleCollector()

    # -- start and stop --------------------------------------------------------------------------

    def start_till(self) -> None:
        """Called from the app's ``on_mount``: devices, status, sender, store and health checks."""
        self.devices.start()
        self._warn_if_keystrokes_recorded()
        client = self.checkout.client
        client.on_reachability(self._reachability_changed)
        self.service_state = client.reachability
        sender = self.checkout.sender
        sender.on_status = self.outbox_status
        sender.on_set_aside = self._sale_set_aside
        self.set_aside_count = len(self.set_aside_sales())
        self.run_worker(self._deliver_forever(), name="outbox sender", group="outbox", exclusive=True, exit_on_error=False)
        for notice in self.storage_notices():
            self.notify(notice, title="Till storage", severity="warning", timeout=60, markup=False)
        self.start_customer_display()
        self.start_printer()
        self.start_pole_display()
        self.load_store()
        self.check_health()  # at once: "online" as soon as the service answers
        self.set_interval(self.settings.health_interval, self.check_health)
        self.set_interval(IDLE_AFTER / 2, self.collector.tick, name="idle collector")

    def storage_notices(self) -> list[str]:
        """What the supervisor must know about the till's own files at start."""
        notices = [self.checkout.outbox_notice] if self.checkout.outbox_notice else []
        if self.checkout.cache.rebuilt:
            notices.append("The till's customer cache was damaged and has been started afresh; nothing is lost"
                           " (it only holds copies), but customers cannot be found offline until they are seen again.")
        return notices

    def start_customer_display(self) -> None:
        """Serve the customer feed on ``[customer_display] listen``; a fault is told, never fatal."""
        listen = self.settings.customer_display.listen
        if not listen:
            return
        try:
            sock = bind(listen)
        except DisplayAddressError as error:
            self.notify(f"{error}. Selling goes on without it.", title="Customer display", severity="warning",
                        timeout=30, markup=False)
            return
        self.display_server = DisplayServer(make_display_app(self.customer_feed), sock)
        self.run_worker(self.display_server.serve(), name="customer display", group="customer-display",
                        exit_on_error=False)

    def start_pole_display(self) -> None:
        """Show the customer feed on ``[customer_display] pole``: the display writes in its own
        thread, so a slow or unplugged port never holds the till; a fault is told, never fatal."""
        display = self.settings.customer_display
        if not display.pole:
            return
        try:
            self.pole_display = PoleDisplay(
                display.pole, display.pole_protocol,
                on_problem=lambda problem: self.post_message(PoleDisplayChanged(problem)),
                on_back=lambda: self.post_message(PoleDisplayChanged(None)),
            )
        except PoleDisplayError as error:
            self.notify(f"Pole display unavailable: {error}. Selling goes on without it.", title="Pole display",
                        severity="warning", timeout=30, markup=False)
            return
        self.pole_display.start()
        self.run_worker(guarded(self, "pole display", self._feed_pole(self.pole_display)), name="pole display",
                        group="pole-display", exit_on_error=False)

    async def _feed_pole(self, pole: PoleDisplay) -> None:
        async for view in self.customer_feed.follow():
            pole.show(pole_pages(view))

    @on(PoleDisplayChanged)
    def pole_display_changed(self, message: PoleDisplayChanged) -> None:
        self.pole_problem = message.problem
        if message.problem is not None:
            self.notify(f"Pole display unavailable: {message.problem}. The till retries by itself; selling goes on.",
                        title="Pole display", severity="warning", timeout=15, markup=False)
        else:
            self.notify("The pole display is working again.", title="Pole display", timeout=5, markup=False)

    async def stop_till(self) -> None:
        if self.display_server is not None:
            self.display_server.stop()
        if self.print_queue is not None:
            await asyncio.to_thread(self.print_queue.stop)
        if self.pole_display is not None:
            await asyncio.to_thread(self.pole_display.stop)  # its last write may take a moment
        self.devices.stop()
        await self.session.close()
        await self.checkout.client.aclose()
        self.checkout.close()
        self.collector.stop()  # a process that runs the till again (training, tests) can collect this one

    # -- the receipt printer ----------------------------------------------------------------------

    def _make_print_queue(self) -> PrintQueue | None:
        printer = self.settings.printer
        if not printer.connection:
            return None
        from devices.receipt_printer import ReceiptPrinter  # python-escpos, loaded only for a till with a printer

        try:
            receipt_printer = ReceiptPrinter(printer, width=self.settings.paper_width)
        except (ValueError, KeyError) as error:  # a URL or profile the settings file did not vet
            self._printer_problem = f"The receipt printer cannot be used ({error}). Selling goes on without it."
            return None
        return PrintQueue(till_dir(self.settings) / "receipts", receipt_printer,
                          on_status=self._printer_status_from_thread)

    def start_printer(self) -> None:
        if self._printer_problem:
            self.notify(self._printer_problem, title="Receipt printer", severity="warning", timeout=30)
        if self.print_queue is None:
            return
        self._loop = asyncio.get_running_loop()
        self.printer_status = self.print_queue.status
        self.print_queue.start()

    def _printer_status_from_thread(self, status: PrinterStatus) -> None:
        """Called on the print queue's thread: hand the state to the app's loop, never wait for it."""
        if self._loop is None:
            return
        try:
            self._loop.call_soon_threadsafe(setattr, self, "printer_status", status)
        except RuntimeError:
            pass  # the till is closing: nobody is looking

    def receipt_header(self) -> ReceiptHeader:
        """What heads every receipt and slip this till prints and shows, at the paper's width."""
        program = self.checkout.program
        return ReceiptHeader(
            store_name=self.settings.store_name,
            privacy_notice=program.privacy_notice if program else "",
            width=self.settings.paper_width,
            training=bool(getattr(self, "training", False)),
        )

    def print_receipt(self, receipt: PrintedReceipt) -> None:
        """Print beside the sale: returns at once, whatever the printer does."""
        if self.print_queue is not None:
            self.print_queue.submit(receipt)

    def print_sale(self, done: CompletedSale) -> None:
        """A paid sale's receipt to the printer; a fault in making it is logged, never in the sale's way."""
        try:
            self.print_receipt(printed_sale(done, self.receipt_header()))
        except Exception as error:  # the sale is done whatever happens to its paper
            log.error("making a receipt to print failed: %s", type(error).__name__)

    def action_reprint(self) -> None:
        if self.print_queue is None:
            self.notify("No receipt printer is set up on this till ([printer] connection).", title="Reprint",
                        severity="warning")
            return
        kept = self.print_queue.status.kept
        if not kept and not self.print_queue.has_last:
            self.notify("There is no receipt to print again yet.", title="Reprint")
            return
        self.notify(f"Printing the {kept} receipt{'s' if kept != 1 else ''} that did not print." if kept
                    else "Printing the last receipt again.", title="Reprint")
        self.print_queue.reprint()

    async def _deliver_forever(self) -> None:
        """The outbox sender, restarted if it ever stops on an error: sales must keep going out."""
        while True:
            await guarded(self, "outbox", self.checkout.sender.run())
            await asyncio.sleep(5)

    @till_work(exclusive=True, group="store")
    async def load_store(self) -> None:
        """Programme and products; retried until they come, since nothing can be sold without them."""
        delay = 1.0
        while True:
            try:
                await self.checkout.load_store()
            except Exception as error:  # whatever it is, nothing can be sold without the store: retry
                if not isinstance(error, (LoyaltyError, ValueError)):
                    log.error("loading the store failed: %s", type(error).__name__)
                self.store_not_loaded(error, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
                continue
            self.store_loaded = True
            self.collector.start()  # full passes between customers, not in a lookup
            return

    def store_not_loaded(self, error: Exception, retry_in: float) -> None:
        """Say why nothing can be sold yet (the register does; the kiosk just waits)."""

    @till_work(exclusive=True, group="health")
    async def check_health(self) -> None:
        try:
            await self.checkout.client.health()
        except LoyaltyError:
            return  # the client has set service_state already
        self.checkout.sender.service_back()  # the service answers: deliver what waits now

    def _reachability_changed(self, state: str) -> None:
        self.service_state = state
        if state == "online":
            self.checkout.sender.service_back()

    def outbox_status(self, status: SenderStatus) -> None:
        drained = self.waiting_sales > 0 and status.waiting == 0
        self.waiting_sales = status.waiting
        self.stuck_sales = status.stuck
        self.storage_problem = status.storage_error
        if drained:
            self.all_sales_delivered()

    def all_sales_delivered(self) -> None:
        """Every waiting sale reached the service (the register says so)."""

    def set_aside_sales(self) -> list[SetAsideSale]:
        """The sales kept for a supervisor; none shown (not a crash) while the file cannot be read."""
        try:
            return self.checkout.outbox.set_aside_sales()
        except OutboxError as error:
            self.storage_problem = str(error)
            return []

    def _sale_set_aside(self, set_aside: SetAside) -> None:
        self.set_aside_count = max(self.set_aside_count + 1, len(self.set_aside_sales()))
        self.sale_set_aside(set_aside)

    def sale_set_aside(self, set_aside: SetAside) -> None:
        """The service refused a sale for good: tell the staff (each app in its own way)."""

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and not event.is_forwarded:
            self.collector.touched()
            await self.devices.wedge.key(event)  # a scanner's burst never reaches a text field
            return
        await super().on_event(event)

    # -- what people are told ------------------------------------------------------------------

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Every notification at a till is text, never markup: its words may hold a customer's
        name, a code read, a file path or a service's message. Control characters are shown as
        visible stand-ins (an ESC from data must not reach the terminal)."""
        super().notify(printable(message), title=printable(title), severity=severity, timeout=timeout, markup=False)

    def _warn_if_keystrokes_recorded(self) -> None:
        warning = keystroke_recording_warning(os.environ)
        if warning:
            log.warning(warning)
            self.log.warning(warning)
            self.notify(warning, title="Keystrokes are being recorded", severity="error", timeout=60)

    # -- the worker policy -----------------------------------------------------------------------

    @on(WorkFailed)
    def work_failed(self, message: WorkFailed) -> None:
        # The type only: an error's text may hold a name or a number someone typed.
        log.error("%s failed: %s", message.what, type(message.error).__name__)
        self.log.error(f"{message.what} failed: {type(message.error).__name__}")
        self.notify(self.work_failed_words(message.what), title="Something went wrong",
                    severity="error", timeout=10, markup=False)

    def work_failed_words(self, what: str) -> str:
        return "That did not work, but the till is still running: try again, or carry on with the sale."

    # -- a real crash ------------------------------------------------------------------------------

    def _handle_exception(self, error: Exception) -> None:
        # Textual's own handler exits with code 1; first leave the report where IT will look.
        if self.crash_report is None:
            self.crash_report = write_crash_report(till_dir(self.settings), error, app=self.APP_NAME)
        self._crash_error = error
        super()._handle_exception(error)

    def _fatal_error(self) -> None:
        # Textual would print the traceback with every variable's value (a typed card number, a
        # customer's name): print only what failed and where, and where the report is.
        error = self._crash_error
        text = crash_summary(error, app=self.APP_NAME) if error is not None else "The app stopped after an error.\n"
        if self.crash_report is not None:
            text += f"A crash report is in {self.crash_report}\n"
        self.bell()
        self._exit_renderables.append(Text(text))
        self._close_messages_no_wait()

