"""Call for assistance: the shopper waits; staff unlock with their PIN to fix or void the sale,
or to print again the receipts the kiosk's printer did not print (its state is said once unlocked).

The PIN is checked by the kiosk's ``StaffPinLock`` (pos_core/staff_pin.py), which locks it for a
few minutes after 5 wrong tries; this screen shows how long.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label

from pos_core.outbox import SetAsideSale
from pos_core.print_queue import PrinterStatus
from pos_core.printer_words import printer_words
from pos_core.staff_pin import StaffPinLock, locked_message
from selfcheckout.widgets.keypad import Keypad

STAFF_ACTIONS = ("remove_item", "void_sale", "reprint")


class AssistanceScreen(ModalScreen[str | None]):
    """Dismisses with a staff action ("remove_item", "void_sale", "reprint") or None.

    ``printer``: the receipt printer's state, or None when the kiosk has none (no Reprint then)."""

    def __init__(self, staff_pin: StaffPinLock, reason: str, *, set_aside: Sequence[SetAsideSale] = (),
                 printer: PrinterStatus | None = None) -> None:
        super().__init__()
        self.staff_pin = staff_pin
        self.reason = reason
        self.printer = printer
        # Sales the loyalty service refused for good, kept on this kiosk: shown to staff once unlocked.
        self.set_aside = tuple(set_aside)
        self.typed = ""
        self.unlocked = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="assist-dialog"):
            yield Label("Help is on its way", classes="title")
            yield Label(self.reason, classes="center", markup=False)
            yield Label("Staff: enter your PIN", id="pin-shown", classes="center")
            yield Keypad(id="pin-pad")
            yield Label(self._locked_text(), id="pin-problem", classes="problem")
            yield Label("", id="staff-set-aside", classes="center", markup=False)
            yield Label("", id="staff-printer", classes="center")
            with Horizontal(classes="row", id="staff-actions"):
                yield Button("Unlock", variant="primary", id="pin-ok")
                yield Button("Remove item", id="staff-remove_item", disabled=True)
                yield Button("Void sale", variant="error", id="staff-void_sale", disabled=True)
                if self.printer is not None:
                    yield Button("Reprint", id="staff-reprint", disabled=True)
                yield Button("Close", id="assist-close")

    @on(Keypad.Pressed)
    def key(self, event: Keypad.Pressed) -> None:
        if event.key == "clear":
            self.typed = ""
        elif event.key == "backspace":
            self.typed = self.typed[:-1]
        elif len(self.typed) < 8:
            self.typed += event.key
        self.query_one("#pin-shown", Label).update("•" * len(self.typed) or "Staff: enter your PIN")

    @on(Button.Pressed, "#pin-ok")
    def unlock(self) -> None:
        attempt = self.staff_pin.attempt(self.typed)
        if not attempt.accepted:
            self.typed = ""
            self.query_one("#pin-shown", Label).update("Staff: enter your PIN")
            self.query_one("#pin-problem", Label).update(attempt.message)
            return
        self.unlocked = True
        self.query_one("#pin-problem", Label).update("")
        self.query_one("#pin-shown", Label).update("Unlocked: choose what to do")
        for button in self.query("#staff-actions Button").results(Button):
            button.disabled = False
        if words := printer_words(self.printer, reprint="Reprint prints them"):
            self.query_one("#staff-printer", Label).update(words)
        if self.set_aside:
            ids = ", ".join(sale.sale_id[:8].upper() for sale in self.set_aside[:5])
            more = f" and {len(self.set_aside) - 5} more" if len(self.set_aside) > 5 else ""
            self.query_one("#staff-set-aside", Label).update(
                f"{len(self.set_aside)} sale(s) refused by the loyalty service are kept on this kiosk"
                f" ({ids}{more}); they will not be sent again. Tell your supervisor."
            )

    def _locked_text(self) -> str:
        wait = self.staff_pin.locked_seconds()
        return locked_message(wait) if wait else ""

    @on(Button.Pressed, "#staff-remove_item, #staff-void_sale, #staff-reprint")
    def staff_action(self, event: Button.Pressed) -> None:
        if self.unlocked and event.button.id:
            self.dismiss(event.button.id.removeprefix("staff-"))

    @on(Button.Pressed, "#assist-close")
    def close(self) -> None:
        self.dismiss(None)
