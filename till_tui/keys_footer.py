"""``KeysFooter``: Textual's footer, rebuilt only when the keys it shows change.

Textual's ``Footer`` removes and mounts every key each time a screen's bindings are refreshed:
when a dialog closes, when focus moves, when a sale's state changes a key's use. At the till that
rebuild (a dozen widgets styled and laid out again) landed in the same frames as a customer's
loyalty panel. The keys shown (key, label, usable or not, tooltip) are compared first, and the
footer is rebuilt only when they differ.
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


class KeysFooter(Footer):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._keys_shown: tuple | None = None

    def _keys_now(self, screen: Screen) -> tuple:
        app = screen.app
        return tuple(
            (binding.key, app.get_key_display(binding), binding.description, binding.action, enabled, tooltip)
            for (_, binding, enabled, tooltip) in screen.active_bindings.values()
            if binding.show
        )

    def bindings_changed(self, screen: Screen) -> None:
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            keys = self._keys_now(screen)
            if keys == self._keys_shown:
                return
            self._keys_shown = keys
        super().bindings_changed(screen)
