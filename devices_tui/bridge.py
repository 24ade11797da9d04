"""A terminal's devices, run for a Textual app: the wedge scanner keys, the camera, the NFC reader.

Every read reaches the app as one of the messages in ``devices_tui.messages``, posted from
whatever thread read it. Readers that are absent are said once and the app goes on.
"""

from __future__ import annotations

from textual import events
from textual.app import App

from devices.hub import DeviceHub
from devices.keyboard_wedge import WedgeTiming
from devices.payload import PayloadRules
from devices_tui.messages import message_for
from devices_tui.wedge_keys import WedgeKeys
from pos_core.settings import DeviceSettings


class DeviceBridge:
    def __init__(self, app: App, settings: DeviceSettings, region: str) -> None:
        self.app = app
        self.settings = settings
        self.hub = DeviceHub(
            lambda event: app.post_message(message_for(event)),
            PayloadRules(loyalty_card_prefixes=settings.loyalty_card_prefixes, region=region),
        )
        self.wedge = WedgeKeys(
            app,
            WedgeTiming(
                max_gap=settings.scanner_max_gap_ms / 1000,
                burst_end=settings.scanner_burst_end_ms / 1000,
                min_length=settings.scanner_min_length,
            ),
            on_scan=lambda text: self.hub.read_text(text, "scanner"),
            deliver=self._deliver,
        )

    async def _deliver(self, event: events.Key) -> None:
        # The app's own key handling, past the subclass hook that sent the key here.
        await App.on_event(self.app, event)

    def start(self) -> None:
        if self.settings.camera:
            self.hub.add_camera(self.settings.camera, self.settings.decoder)
        if self.settings.nfc:
            self.hub.add_nfc(self.settings.nfc, self.settings.nfc_targets)

    def read_text(self, text: str, source: str = "keyboard") -> None:
        """Typed text that may be a code (the register's item field): classified like a scan."""
        self.hub.read_text(text, source)

    def stop(self) -> None:
        self.wedge.stop()
        self.hub.stop()
