"""Keys from a keyboard-wedge scanner or stripe reader, caught before any widget sees them.

The app sends every key it receives through ``WedgeKeys.key`` first. Keys that may still be part
of a scan are held (at most ``burst_end``); a burst at scanner speed ending in Enter becomes one
scan and none of its characters reach the focused field; anything else is handed on unchanged,
in order, by ``deliver`` (the app's own key handling).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from time import monotonic

from textual import events
from textual.app import App
from textual.timer import Timer

from devices.keyboard_wedge import Deliver, Scanned, WedgeFilter, WedgeTiming


SCAN_ENDINGS = ("enter", "ctrl+j", "tab")


class WedgeKeys:
    """Key event times are Textual's, which are ``time.monotonic()`` on every platform we run on."""

    def __init__(
        self,
        app: App,
        timing: WedgeTiming,
        on_scan: Callable[[str], None],
        deliver: Callable[[events.Key], Awaitable[None]],
    ) -> None:
        self.app = app
        self.filter: WedgeFilter[events.Key] = WedgeFilter(timing)
        self.on_scan = on_scan
        self.deliver = deliver
        self._timer: Timer | None = None

    async def key(self, event: events.Key) -> None:
        # Scanners end a read with CR (Enter), LF (ctrl+j), CR LF, or Tab, as they are set up.
        enter = event.key in SCAN_ENDINGS
        character = None if enter else event.character
        await self._act(self.filter.key(event, character, event.time, enter=enter))
        self._arm()

    async def _tick(self) -> None:
        self._timer = None
        await self._act(self.filter.tick(monotonic()))
        self._arm()

    def _arm(self) -> None:
        deadline = self.filter.deadline()
        if deadline is None or self._timer is not None:
            return
        delay = max(0.001, deadline - monotonic())
        self._timer = self.app.set_timer(delay, self._tick, name="wedge keys")

    def stop(self) -> None:
        """The app is closing: held keys have nowhere to go."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self.filter.release()

    async def _act(self, actions: list[Deliver[events.Key] | Scanned]) -> None:
        if not self.app.is_running or not self.app.screen_stack:
            return  # closing down: a key held back a moment ago has no screen to go to
        for action in actions:
            if isinstance(action, Scanned):
                self.on_scan(action.text)
            else:
                await self.deliver(action.key)
