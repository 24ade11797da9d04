""""Why these points?": the quote's breakdown in plain words, line by line, for the cashier to read
out. Opened by F5 from the register while a quote is shown; Esc or Enter closes it."""

from __future__ import annotations

from decimal import Decimal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label

from pos_core.loyalty_models import BreakdownEntry, Quote
from pos_core.money import format_money
from pos_core.shown_text import printable


def points_text(points: Decimal, signed: bool = False) -> str:
    """6.98 -> "6.98", 50 -> "50", and with ``signed`` a + or − in front."""
    text = format(points.normalize(), "f") if points else "0"
    if signed:
        text = text.replace("-", "−") if points < 0 else f"+{text}"
    return f"{text} pts"


def explain(entry: BreakdownEntry, currency: str) -> str:
    """One breakdown entry as the cashier would say it."""
    def money(minor: int | None) -> str:
        return format_money(minor or 0, currency)

    what = entry.name + (f" ×{entry.quantity}" if entry.quantity and entry.quantity > 1 else "")
    if entry.rule == "excluded":
        return f"{what}: {entry.rule_id or 'this item'} earns no points"
    if entry.rule in ("base", "promotion"):
        if entry.amount and entry.eligible_amount == 0:
            return f"{what}: {money(entry.amount)}, all paid by rewards: no points"
        paid = f" ({money(entry.discount)} paid by rewards)" if entry.discount else ""
        how = "at the base rate"
        if entry.rule == "promotion":
            how = f"× {entry.multiplier} {entry.note}".rstrip()
        return f"{what}: {money(entry.eligible_amount)}{paid} {how}: {points_text(entry.points)}"
    if entry.rule == "bonus":
        return f"Bonus, {what}: {points_text(entry.points, signed=True)}"
    if entry.rule == "tier":
        return f"{entry.name} tier × {entry.multiplier}: {points_text(entry.points, signed=True)}"
    if entry.rule == "threshold":
        return f"{entry.name} (spent {money(entry.eligible_amount)}): {points_text(entry.points, signed=True)}"
    if entry.rule == "rounding":
        return f"Rounded down, once for the sale: {points_text(entry.points, signed=True)}"
    return f"{entry.name}: {points_text(entry.points, signed=True)}"


class PointsBreakdownScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "close", "Close", id="why_points.close", tooltip="Back to the sale"),
        Binding("enter", "close", "Close", show=False, id="why_points.close_enter", tooltip="Back to the sale"),
    ]

    def __init__(self, quote: Quote) -> None:
        super().__init__()
        self.quote = quote

    def compose(self) -> ComposeResult:
        quote = self.quote
        about = "about " if quote.estimated else ""
        with Vertical(classes="dialog", id="why-dialog"):
            yield Label(f"Why {about}{quote.points_earned:,} points?", classes="dialog-title", id="why-title")
            with VerticalScroll(id="why-lines"):
                if not quote.breakdown:
                    yield Label("The loyalty service gave no breakdown for this sale.", classes="why-line muted")
                for entry in quote.breakdown:
                    yield Label(printable(explain(entry, quote.currency)), classes=f"why-line why-{entry.rule}",
                                markup=False)
            yield Label(f"This sale earns {quote.points_earned:,} pts", id="why-total")
            if quote.estimated:
                yield Label("Offline estimate: the service's figure replaces it.", classes="notice")
            with Horizontal(classes="buttons"):
                yield Button("Close (Esc)", id="why-close")

    @on(Button.Pressed, "#why-close")
    def close_pressed(self) -> None:
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)
