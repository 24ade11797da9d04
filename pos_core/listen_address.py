"""The customer display's ``listen`` address (``HOST:PORT``), read once for the settings that
check it and the display service that binds it. Pure: no sockets, no web framework."""

from __future__ import annotations


class DisplayAddressError(ValueError):
    """The display's ``listen`` address is malformed, or cannot be bound."""


def parse_listen(text: str) -> tuple[str, int]:
    """``"127.0.0.1:8765"`` → (host, port); ``"[::1]:8765"`` for IPv6. Raises DisplayAddressError."""
    host, sep, port = text.strip().rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise DisplayAddressError(f"customer_display.listen must be HOST:PORT, e.g. \"127.0.0.1:8765\" (got {text!r})")
    return host, int(port)
