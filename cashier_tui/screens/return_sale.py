"""Return items from an earlier sale: find it by its receipt number, pick lines and quantities,
record the return (through the till's outbox, like a sale), and show the refund to give, and how
(to the card, in cash), and the points taken back.

The receipt number (``R-<sale id>``) is scanned from the receipt's code or typed. Only sales with a
loyalty customer are on the service, so only those can be found here. With the service away, a
sale this till made itself can still be returned, on the till's estimate. When the return needs a
manager (late, or a large refund) the manager's PIN is asked for first; the service checks it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC
from typing import TYPE_CHECKING

from rich.text import Text

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from cashier_tui.error_messages import cashier_message
from cashier_tui.screens.manager_pin import ManagerPinScreen
from pos_core.loyalty_errors import LoyaltyError, LoyaltyUnavailable, NotFound, RequestRefused
from pos_core.loyalty_models import ReturnableLine, ReturnResult
from pos_core.money import format_money
from pos_core.printed_receipt import PrintedReceipt, printed_return
from pos_core.receipt import ReceiptHeader, receipt_number
from pos_core.return_estimate import SaleForReturn, refund_words
from pos_core.shown_text import printable
from till_tui.workers import till_work

if TYPE_CHECKING:
    from pos_core.checkout import Checkout

NOT_FOUND = "No sale has that receipt number. Only sales with a loyalty card can be returned here."
AWAY = ("The loyalty service cannot be reached, and this sale was not made at this till: only this till's"
        " own sales can be returned until the service is back.")
OWN_RECORD = "Offline: from this till's own record of the sale. The refund is the till's estimate."
ESTIMATED = "The till's estimate: the loyalty service confirms the return when it can."


class ReturnScreen(ModalScreen[ReturnResult | None]):
    BINDINGS = [
        Binding("escape", "close", "Close", id="return.close", tooltip="Close without returning anything more"),
        Binding("f10", "confirm", "Refund", id="return.confirm",
                tooltip="Record the return of the chosen quantities and refund the customer"),
    ]

    def __init__(self, checkout: Checkout, currency: str, header: ReceiptHeader, *, sale_id: str | None = None,
                 print_receipt: Callable[[PrintedReceipt], None] | None = None) -> None:
        super().__init__()
        self.checkout = checkout
        self.currency = currency
        self.header = header
        # The till's print queue (returns at once); the slip shown is the slip printed.
        self.print_receipt = print_receipt
        self.found: SaleForReturn | None = None
        self.lines: tuple[ReturnableLine, ...] = ()
        self.result: ReturnResult | None = None
        self._first = sale_id
        # One return id per choice of quantities: a retry after a timeout is the same return.
        self._return_ids: dict[tuple[tuple[str, int], ...], str] = {}

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="return-dialog"):
            yield Label("Return items", classes="dialog-title")
            yield Input(placeholder="Scan the receipt's code, or type R-…", max_length=64, id="return-receipt")
            yield Label("", id="return-error", classes="problem", markup=False)
            yield VerticalScroll(id="return-lines")
            yield Label("", id="return-result", markup=False)
            yield Label("Enter  find    F10  refund    Esc  close", classes="hint")

    def on_mount(self) -> None:
        self.query_one("#return-receipt", Input).focus()
        if self._first is not None:
            self.receipt_scanned(self._first)

    def receipt_scanned(self, sale_id: str) -> None:
        """A receipt's code was scanned while this screen is open."""
        number = receipt_number(sale_id)
        self.query_one("#return-receipt", Input).value = number
        self.find(number)

    @on(Input.Submitted, "#return-receipt")
    def receipt_typed(self, event: Input.Submitted) -> None:
        self.find(event.value)

    @till_work(exclusive=True, group="return")
    async def find(self, text: str) -> None:
        error = self.query_one("#return-error", Label)
        error.update("Looking up the sale…")
        try:
            found = await self.checkout.sale_for_return(text)
        except NotFound:
            error.update(NOT_FOUND)
            return
        except LoyaltyUnavailable:
            error.update(AWAY)
            return
        except ValueError as problem:
            error.update(str(problem))
            return
        except LoyaltyError as problem:
            error.update(cashier_message(problem))
            return
        error.update(OWN_RECORD if found.from_till else "")
        self.found, self.lines, self.result = found, found.lines, None
        self._return_ids.clear()
        self.query_one("#return-result", Label).update("")
        await self._show_lines()

    async def _show_lines(self) -> None:
        box = self.query_one("#return-lines", VerticalScroll)
        await box.remove_children()
        left = [line for line in self.lines if line.left > 0]
        if not left:
            await box.mount(Label("Everything on this receipt has been returned already.", classes="muted"))
            return
        rows = []
        for line in left:
            done = f", {line.returned} returned" if line.returned else ""
            rows.append(Horizontal(
                Label(f"{printable(line.name)} · {format_money(line.unit_price, self.currency)} · {line.quantity} bought{done}",
                      classes="return-line-name", markup=False),
                Input(value="0", restrict=r"[0-9]*", max_length=4, id=f"return-qty-{line.line}",
                      classes="return-qty", tooltip=f"How many to return (at most {line.left})"),
                classes="return-line",
            ))
        await box.mount_all(rows)
        self.query_one(f"#return-qty-{left[0].line}", Input).focus()

    def _picked(self) -> dict[str, int] | None:
        """{sku: units} chosen, or None after saying what is wrong."""
        error = self.query_one("#return-error", Label)
        picked: dict[str, int] = {}
        for line in self.lines:
            if line.left <= 0:
                continue
            text = self.query_one(f"#return-qty-{line.line}", Input).value.strip() or "0"
            count = int(text) if text.isdigit() else -1
            if not 0 <= count <= line.left:
                error.update(f"{printable(line.name)}: return 0 to {line.left}.")
                return None
            if count:
                picked[line.sku] = picked.get(line.sku, 0) + count
        if not picked:
            error.update("Type how many of an item to return.")
            return None
        return picked

    @on(Input.Submitted, ".return-qty")
    def quantity_entered(self) -> None:
        self.action_confirm()

    def action_confirm(self) -> None:
        if self.found is None or self.result is not None:
            return
        picked = self._picked()
        if picked is not None:
            self.record(self.found, picked)

    @till_work(exclusive=True, group="return")
    async def record(self, found: SaleForReturn, picked: dict[str, int]) -> None:
        error = self.query_one("#return-error", Label)
        choice = tuple(sorted(picked.items()))
        why = None if found.from_till else self.checkout.return_needs_manager(found, picked)
        for _ in range(2):  # a second time only if the service wants a manager the till did not foresee
            approval = None
            if why is not None:
                approval = await self.app.push_screen_wait(ManagerPinScreen(why))
                if approval is None:
                    error.update("Not returned: a manager's PIN is needed for this return.")
                    return
            return_id = self._return_ids.setdefault(choice, str(uuid.uuid4()))
            error.update("Recording the return…")
            try:
                result = await self.checkout.return_items(
                    found, picked, return_id=return_id,
                    manager_pin=approval.pin if approval else None, manager_id=approval.manager_id if approval else None)
            except (LoyaltyError, ValueError) as problem:
                self._return_ids.pop(choice, None)  # refused: nothing was returned; a new try is a new return
                if isinstance(problem, RequestRefused) and problem.code == "manager_pin_required" and why is None:
                    why = problem.message
                    continue
                error.update(f"Not returned: {self._refusal(problem)}")
                return
            break
        else:
            return
        error.update("")
        self.result = result
        self.query_one("#return-result", Label).update("\n".join(self._said(result)))
        box = self.query_one("#return-lines", VerticalScroll)
        await box.remove_children()
        when = str(result.document.get("created_at") or self.checkout.clock().astimezone(UTC).isoformat())
        printed = printed_return(result, self.header, terminal_id=self.checkout.settings.terminal_id, when=when)
        if self.print_receipt is not None:
            self.print_receipt(printed)
        slip = printed.lines
        # Names on the slip are data: shown as text, never markup.
        await box.mount(Static(Text("\n".join(printable(line) for line in slip), no_wrap=True, overflow="crop"),
                               id="return-slip"))
        self.notify(refund_words(result), title="Return recorded" if not result.estimated else "Return saved",
                    markup=False)

    @staticmethod
    def _refusal(problem: Exception) -> str:
        if isinstance(problem, RequestRefused) and problem.code == "wrong_manager_pin":
            return "that id and PIN are not a manager's. A manager types their own."
        if isinstance(problem, RequestRefused) and problem.code == "manager_locked":
            return "this manager is locked out after 5 wrong PINs; head office can free them."
        if isinstance(problem, LoyaltyError):
            return cashier_message(problem)
        return str(problem)

    @staticmethod
    def _said(result: ReturnResult) -> list[str]:
        said = [refund_words(result)]
        if result.estimated:
            said.append(ESTIMATED)
            return said
        if result.points_reversed:
            said.append(f"Points taken back  -{result.points_reversed:,}")
        if result.points_refunded:
            said.append(f"Reward points given back  +{result.points_refunded:,}")
        if result.balance is not None:
            said.append(f"New balance  {result.balance:,} pts")
        if result.points_debt:
            said.append(f"The customer owes {result.points_debt:,} points; they come off future points.")
        return said

    def action_close(self) -> None:
        self.dismiss(self.result)
