"""The kiosk app shell: a welcome screen. Identification, basket and payment come with its issue."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.containers import Center, Middle
from textual.widgets import Label

import themes


class SelfCheckoutApp(App[None]):
    TITLE = "Self-checkout"
    ENABLE_COMMAND_PALETTE = False
    CSS = """
    Screen { align: center middle; background: $background; }
    #welcome { text-style: bold; color: $accent; }
    """

    def __init__(self) -> None:
        super().__init__()
        for theme in themes.bundled_themes():
            self.register_theme(theme)
        self.theme = "high-contrast"

    def compose(self) -> ComposeResult:
        with Middle(), Center():
            yield Label("Welcome — self-checkout is not open yet. Please use a staffed till.", id="welcome")


def make_app() -> SelfCheckoutApp:
    return SelfCheckoutApp()
