"""The second terminal's app and ``make_app()``, shared by ``cashier-tui customer-display`` and the
tests: a monitor facing the customer, showing the till's customer view as it changes.

The till's display service is followed by ``CustomerDisplayClient`` (pos_core, no Textual) in one
worker; each view or loss of the till arrives here as a message and flows down to the screen.
When the till cannot be reached (stopped, restarting, unplugged) the screen says "Waiting for the
till…" and the client reconnects by itself. No command palette and no developer keys: the
customer can do nothing here, and Ctrl+Q closes it for the staff.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import ContentSwitcher, Label

import themes
from cashier_tui.customer_display.phase_panels import BasketPanel, EnrolmentPanel, ThankYouPanel, WaitingPanel, WelcomePanel
from pos_core.customer_display_client import CustomerDisplayClient, TillWaiting
from pos_core.shown_text import printable
from till_tui.workers import WorkFailed, till_work

Json = dict[str, Any]
# The view's phase → the panel that shows it.
PANELS = {"welcome": "welcome", "basket": "basket", "paying": "basket", "enrolling": "enrolling",
          "thank_you": "thank-you"}


class CustomerDisplayScreen(Screen[None]):
    # The till's latest view, and why the till cannot be reached now (None while it can).
    view: reactive[Json | None] = reactive(None)
    waiting: reactive[str | None] = reactive("connecting")

    def compose(self) -> ComposeResult:
        with Horizontal(id="display-header"):
            yield Label(id="display-store")
            yield Label("TRAINING: not a real sale", id="display-training")
        with ContentSwitcher(initial="waiting", id="display-panels"):
            yield WelcomePanel(id="welcome").data_bind(CustomerDisplayScreen.view)
            yield BasketPanel(id="basket").data_bind(CustomerDisplayScreen.view)
            yield EnrolmentPanel(id="enrolling").data_bind(CustomerDisplayScreen.view)
            yield ThankYouPanel(id="thank-you").data_bind(CustomerDisplayScreen.view)
            yield WaitingPanel(id="waiting")

    @property
    def panels(self) -> ContentSwitcher:
        return self.query_one("#display-panels", ContentSwitcher)

    def watch_view(self, view: Json | None) -> None:
        store = (view or {}).get("store", "")
        self.query_one("#display-store", Label).update(Content(printable(str(store))))
        self.query_one("#display-training").display = bool((view or {}).get("training"))
        self._show()

    def watch_waiting(self, waiting: str | None) -> None:
        self.query_one(WaitingPanel).reason = "" if waiting in (None, "connecting") else waiting
        self._show()

    def _show(self) -> None:
        if self.waiting is not None or self.view is None:
            self.panels.current = "waiting"
        else:
            self.panels.current = PANELS.get(self.view.get("phase", ""), "welcome")


class CustomerDisplayApp(App[None], inherit_bindings=False):
    TITLE = "Customer display"
    CSS_PATH = themes.CUSTOMER_DISPLAY_CSS
    ENABLE_COMMAND_PALETTE = False
    # From 80×24 up to a full-HD monitor: wide screens give the loyalty card and the total more room.
    HORIZONTAL_BREAKPOINTS = [(0, "-compact"), (120, "-roomy")]
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", show=False, priority=True, id="customer_display.quit",
                        tooltip="Close the customer display (staff)")]

    @dataclass
    class ViewArrived(Message):
        view: Json

    @dataclass
    class TillLost(Message):
        waiting: TillWaiting

    def __init__(self, client: CustomerDisplayClient, *, theme: str = themes.DEFAULT_THEME) -> None:
        super().__init__()
        self.client = client
        for bundled in themes.bundled_themes():
            self.register_theme(bundled)
        self.theme = theme if theme in self.available_themes else themes.DEFAULT_THEME
        self.display_screen = CustomerDisplayScreen()

    def on_mount(self) -> None:
        self.push_screen(self.display_screen)
        self.follow_till()

    async def on_unmount(self) -> None:
        await self.client.aclose()

    @till_work(exclusive=True, group="till-feed")
    async def follow_till(self) -> None:
        async for item in self.client.follow():
            if isinstance(item, TillWaiting):
                self.post_message(self.TillLost(item))
            else:
                self.post_message(self.ViewArrived(item))

    @on(ViewArrived)
    def view_arrived(self, message: ViewArrived) -> None:
        self.display_screen.waiting = None
        self.display_screen.view = message.view

    @on(TillLost)
    def till_lost(self, message: TillLost) -> None:
        reason, seconds = message.waiting.reason, round(message.waiting.retry_in)
        when = f"in {seconds} s" if seconds >= 1 else "in a moment"
        self.display_screen.waiting = f"{reason[:1].upper()}{reason[1:]}; trying again {when}."

    @on(WorkFailed)
    def work_failed(self, message: WorkFailed) -> None:
        # Logged by type only; the display keeps trying, as it does when the till is away.
        self.log.error(f"{message.what} failed: {type(message.error).__name__}")
        self.display_screen.waiting = "The display met a fault; trying again."
        self.set_timer(2.0, self.follow_till)


def make_app(till_url: str, *, theme: str = themes.DEFAULT_THEME,
             client: CustomerDisplayClient | None = None) -> CustomerDisplayApp:
    """The customer display for the till at ``till_url`` (its ``[customer_display] listen``)."""
    return CustomerDisplayApp(client or CustomerDisplayClient(till_url), theme=theme)
