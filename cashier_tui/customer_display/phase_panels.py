"""What the customer's screen shows in each phase of the sale (the view's ``phase``): welcome, the
basket with the last item and the total (also while paying), the enrolment's terms and privacy
notice (read-only here: consent is tapped on the web page or given to the cashier), the thank-you,
and "Waiting for the till…" while the till cannot be reached.

Each panel takes the whole view (``view``, bound from the screen) and shows its text as text.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.reactive import reactive
from textual.widgets import DataTable, Label

from cashier_tui.customer_display.loyalty_card import LoyaltyCard, count, text
from pos_core.shown_text import printable

Json = dict[str, Any]


class WelcomePanel(Vertical, can_focus=False):
    view: reactive[Json | None] = reactive(None, recompose=True)

    def compose(self) -> ComposeResult:
        store = (self.view or {}).get("store") or ""
        yield Label(Content.assemble("Welcome to ", text(store)) if store else Content("Welcome"),
                    id="welcome-title", classes="big")
        yield Label("Show your loyalty card or app to collect points on this shop.", classes="muted")


class BasketPanel(Horizontal, can_focus=False):
    view: reactive[Json | None] = reactive(None)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._rows: list[tuple[str, ...]] = []  # what the table shows now
        self._ready = False  # the table has its columns

    def compose(self) -> ComposeResult:
        with Vertical(id="basket-column"):
            table: DataTable[Text] = DataTable(id="basket-lines", cursor_type="none", show_cursor=False,
                                               zebra_stripes=False)
            table.can_focus = False
            yield table
            yield Label(id="last-item")
            yield Label(id="total-line")
        yield LoyaltyCard(id="loyalty-card")

    def on_mount(self) -> None:
        table = self.query_one("#basket-lines", DataTable)
        table.add_column("Item", key="item")
        table.add_column("Qty", key="qty")
        table.add_column("Price", key="price")
        self._ready = True
        self.watch_view(self.view)  # a view that came before the panel was ready

    def watch_view(self, view: Json | None) -> None:
        if not self._ready or view is None:
            return
        table = self.query_one("#basket-lines", DataTable)
        rows = [(line.get("name", ""), line.get("quantity", ""), line.get("amount_text", ""))
                for line in view.get("lines") or []]
        rows += [(discount.get("name", ""), "", discount.get("amount_text", "")) for discount in view.get("discounts") or []]
        rows = [tuple(printable(str(cell)) for cell in row) for row in rows]
        if rows[: len(self._rows)] != self._rows:
            table.clear()  # a line changed or went: draw them afresh
            self._rows = []
        # Cells are Text, never str: a DataTable would read a str as markup. A scan adds its row only.
        for name, quantity, amount in rows[len(self._rows):]:
            table.add_row(Text(name), Text(quantity, justify="right"), Text(amount, justify="right"))
        self._rows = rows
        table.scroll_end(animate=False)
        last = view.get("last_item")
        self.query_one("#last-item", Label).update(
            Content.assemble(text(last.get("name", "")), "  ", text(last.get("amount_text", "")))
            if last else Content("")
        )
        words = "Please pay  " if view.get("phase") == "paying" else "Total  "
        estimate = " (estimate)" if view.get("total_estimated") else ""
        self.query_one("#total-line", Label).update(Content.assemble(words, text(view.get("total_text", "")), estimate))
        card = self.query_one(LoyaltyCard)
        card.customer = view.get("customer")
        card.points_this_sale = view.get("points_this_sale")
        card.points_estimated = bool(view.get("points_estimated"))


class EnrolmentPanel(VerticalScroll, can_focus=False):
    view: reactive[Json | None] = reactive(None, recompose=True)

    def compose(self) -> ComposeResult:
        enrolment = (self.view or {}).get("enrolment") or {}
        yield Label("Join our loyalty programme", classes="big")
        yield Label(Content.assemble("Terms, version ", text(enrolment.get("terms_version", ""))), id="enrol-terms")
        yield Label(text(enrolment.get("privacy_notice", "")), id="enrol-privacy")
        yield Label(text(enrolment.get("marketing_question", "")), id="enrol-marketing")
        answer = enrolment.get("answer")
        if answer is None:
            yield Label("Please give your answer on the tablet, or tell the cashier.", id="enrol-answer",
                        classes="muted")
        elif answer.get("accepted"):
            offers = "with offers" if answer.get("marketing") else "without offers"
            yield Label(f"Thank you: you have accepted the terms ({offers}).", id="enrol-answer")
        else:
            yield Label("You have declined: nothing has been recorded.", id="enrol-answer")


class ThankYouPanel(Vertical, can_focus=False):
    view: reactive[Json | None] = reactive(None, recompose=True)

    def compose(self) -> ComposeResult:
        thanks = (self.view or {}).get("thank_you") or {}
        name = thanks.get("name")
        yield Label(Content.assemble("Thank you, ", text(name), "!") if name else Content("Thank you for shopping with us!"),
                    id="thanks-title", classes="big")
        yield Label(Content.assemble("Paid  ", text(thanks.get("total_text", ""))), id="thanks-total")
        if thanks.get("change_text"):
            yield Label(Content.assemble("Your change  ", text(thanks["change_text"])), id="thanks-change")
        earned = thanks.get("points_earned")
        if earned is not None:
            if thanks.get("points_pending"):
                yield Label(Content(f"Your {count(earned)} points will be added shortly."), id="thanks-points")
            else:
                yield Label(Content(f"You earned {count(earned)} points."), id="thanks-points")
        # In the web page's order (pos_core/customer_display_page).
        if thanks.get("points_held_text"):
            yield Label(text(thanks["points_held_text"]), id="thanks-held")
        if thanks.get("balance") is not None:
            yield Label(Content(f"Your balance is now {count(thanks['balance'])} points."), id="thanks-balance")
        if thanks.get("referral_code"):
            yield Label(Content.assemble("Invite a friend with your code ", text(thanks["referral_code"])),
                        id="thanks-referral")
        if thanks.get("emailed_text"):
            yield Label(text(thanks["emailed_text"]), id="thanks-emailed")


class WaitingPanel(Vertical, can_focus=False):
    reason: reactive[str] = reactive("", recompose=True)

    def compose(self) -> ComposeResult:
        yield Label("Waiting for the till…", id="waiting-title", classes="big")
        yield Label("Your shopping shows here as soon as the till is back.", classes="muted")
        if self.reason:
            yield Label(Content(printable(self.reason)), id="waiting-reason", classes="muted")
