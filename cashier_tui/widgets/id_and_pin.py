"""The id, PIN, problem and hint lines of a dialog that asks who someone is and their PIN (a
manager's approval, a cashier's sign-on), so each asks it the same way. Ids: ``{prefix}-id``,
``{prefix}-pin`` and ``{prefix}-pin-error``."""

from __future__ import annotations

from collections.abc import Iterator

from textual.widget import Widget
from textual.widgets import Input, Label


def id_and_pin(prefix: str, *, who: str, id_hint: str = "", id_restrict: str, id_max: int,
               hint: str) -> Iterator[Widget]:
    """``who``: whose id and PIN ("Manager"); ``id_hint``: after "id" in its placeholder (" (mgr_…)")."""
    yield Input(placeholder=f"{who} id{id_hint}", restrict=id_restrict, max_length=id_max, id=f"{prefix}-id")
    yield Input(placeholder=f"{who} PIN", password=True, restrict=r"[0-9]*", max_length=12, id=f"{prefix}-pin")
    yield Label("", id=f"{prefix}-pin-error", classes="problem", markup=False)
    yield Label(hint, classes="hint")
