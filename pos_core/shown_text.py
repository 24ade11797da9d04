"""Text from data (the service, the catalog, a scan, the settings, a scenario file) made safe to put
on a terminal, whatever it holds.

Markup is not the concern here: the apps hand data to Textual as ``Content``/``Text`` or with
``markup=False``, so ``[bold]`` shows as typed. What Textual does not stop is a control character:
an ESC (``\\x1b[2J``, an OSC 52 clipboard write) reaches the terminal as it is and acts there, and a
newline, tab or backspace breaks the line it sits in. ``printable`` swaps each one for a visible
stand-in, one character for one, so the rest shows exactly as given. Format characters (right-to-left
marks, zero-width joiners) and combining marks are kept: they belong to real names.
"""

from __future__ import annotations

# C0 controls have their own pictures (U+2400 + code: ␀ ␉ ␊ ␛), DEL has ␡; C1 has none.
_DEL_PICTURE = "\u2421"
_NO_PICTURE = "\ufffd"
# Line and paragraph separators break a line as a newline does.
_LINE_BREAKS = {"\u2028": "\u2424", "\u2029": "\u00b6"}


def _stand_in(char: str) -> str:
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)
    if code == 0x7F:
        return _DEL_PICTURE
    # C1 (0x80-0x9F: 0x9B is CSI on some terminals) and lone surrogates (not even encodable).
    return _LINE_BREAKS.get(char, _NO_PICTURE)


def _unsafe(char: str) -> bool:
    code = ord(char)
    return code < 0x20 or 0x7F <= code <= 0x9F or char in _LINE_BREAKS or 0xD800 <= code <= 0xDFFF


def printable(text: str) -> str:
    """``text`` with every control character replaced by a visible stand-in (``\\x1b`` → ``␛``)."""
    if not any(_unsafe(char) for char in text):
        return text
    return "".join(_stand_in(char) if _unsafe(char) else char for char in text)
