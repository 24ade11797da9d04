"""``KeysFooter``: the keys usable now, on the screen's last line, drawn by one widget.

Textual's ``Footer`` removes and mounts a widget per key each time a screen's bindings are
refreshed (a dialog closes, focus moves, a sale's state changes a key's use), then lays the screen
out again: at the till that rebuild landed in the frames a customer's loyalty panel waited for.
This footer works out the keys shown (key, label, usable or not) from the screen's bindings as
Textual's does, and when they differ draws its one line again; nothing is mounted and nothing
else is laid out. A click (or a tap on a touch screen) on a key presses it, as on Textual's.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import events
from textual.content import Content
from textual.screen import Screen
from textual.widget import Widget


@dataclass(frozen=True)
class FooterKey:
    key: str  # the key pressed when it is clicked
    shown: str  # the key as the keymap shows it ("f2")
    description: str
    usable: bool


class KeysFooter(Widget):
    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"keys-footer--key", "keys-footer--description", "keys-footer--unusable"}
    DEFAULT_CSS = """
    KeysFooter {
        dock: bottom;
        height: 1;
        text-wrap: nowrap;
        text-overflow: clip;
        color: $footer-foreground;
        background: $footer-background;
        & > .keys-footer--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        & > .keys-footer--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        & > .keys-footer--unusable {
            text-style: dim;
        }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.keys: tuple[FooterKey, ...] = ()
        self._places: list[tuple[int, int, FooterKey]] = []  # (first column, past last, key) as drawn

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self._bindings_changed(self.screen)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen) -> None:
        if not self.is_attached or screen is not self.screen:
            return
        keys = self._keys_now(screen)
        if keys != self.keys:
            self.keys = keys
            self.refresh()

    @staticmethod
    def _keys_now(screen: Screen) -> tuple[FooterKey, ...]:
        """The keys Textual's footer would show: one per action, as the screen's bindings are now."""
        app = screen.app
        keys: dict[str, FooterKey] = {}
        for _, binding, enabled, _tooltip in screen.active_bindings.values():
            if binding.show and binding.action not in keys:
                keys[binding.action] = FooterKey(binding.key, app.get_key_display(binding), binding.description,
                                                 bool(enabled))
        return tuple(keys.values())

    def render(self) -> Content:
        key_look = self.get_visual_style("keys-footer--key", partial=True)
        description_look = self.get_visual_style("keys-footer--description", partial=True)
        unusable = self.get_visual_style("keys-footer--unusable", partial=True)
        parts: list[Content] = []
        places: list[tuple[int, int, FooterKey]] = []
        at = 0
        for key in self.keys:
            drawn = Content.assemble(Content(key.shown).stylize(key_look),
                                     Content(f" {key.description}").stylize(description_look) if key.description else "")
            if not key.usable:
                drawn = drawn.stylize(unusable)
            places.append((at, at + drawn.cell_length, key))
            parts.append(drawn)
            at += drawn.cell_length + 1
        self._places = places
        return Content(" ").join(parts)

    def key_at(self, x: int) -> FooterKey | None:
        """The key drawn at column ``x`` of the footer, if any."""
        return next((key for start, end, key in self._places if start <= x < end), None)

    def on_mouse_down(self, event: events.MouseDown) -> None:
        key = self.key_at(event.x)
        if key is None:
            return
        if key.usable:
            self.app.simulate_key(key.key)
        else:
            self.app.bell()
