"""Offer the shopper their reward in one touch, with the new total shown before they accept."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label

from pos_core.money import format_money
from pos_core.shown_text import printable


class RewardOfferScreen(ModalScreen[bool]):
    def __init__(self, reward_name: str, total_now: int, total_with: int, currency: str) -> None:
        super().__init__()
        self.reward_name = reward_name
        self.total_now = total_now
        self.total_with = total_with
        self.currency = currency

    def compose(self) -> ComposeResult:
        money = lambda minor: format_money(minor, self.currency)  # noqa: E731
        with Vertical(classes="dialog", id="offer-dialog"):
            yield Label(f"Use your {printable(self.reward_name)} reward now?", classes="title", markup=False)
            yield Label(f"New total {money(self.total_with)}  (was {money(self.total_now)})", id="offer-total", classes="center")
            with Horizontal(classes="row"):
                yield Button("Yes, use it", variant="success", id="offer-yes")
                yield Button("Not now", id="offer-no")

    @on(Button.Pressed, "#offer-yes")
    def yes(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#offer-no")
    def no(self) -> None:
        self.dismiss(False)
