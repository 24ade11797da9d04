"""Thank you: points earned (and a referral bonus), the new balance, what is next, the member's
referral code to give friends, where the receipt was e-mailed (masked), and that the receipt did
not print when the printer cannot print (it is kept, and staff can print it); then the next
shopper's welcome."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.events import Click, Key
from textual.screen import Screen
from textual.widgets import Label

from pos_core.customer_words import first_name, held_for_review, next_step
from pos_core.money import format_money
from pos_core.printer_words import cannot_print
from pos_core.receipt_by_email import receipt_words
from pos_core.sale import CompletedSale


class ThankYouScreen(Screen[None]):
    def __init__(self, done: CompletedSale, seconds: float) -> None:
        super().__init__()
        self.done = done
        self.seconds = seconds

    def compose(self) -> ComposeResult:
        done = self.done
        customer = done.sale.customer
        with Vertical(id="welcome"):
            with Vertical(id="welcome-body"):
                greeting = first_name(customer.display_name) if customer else ""
                name = f", {greeting}" if greeting else ""
                yield Label(f"Thank you{name}!", classes="title", markup=False)
                yield Label(f"You paid {format_money(done.total, done.sale.currency)}.", classes="center big")
                if done.change:
                    yield Label(f"Please take your change: {format_money(done.change, done.sale.currency)}", classes="center big")
                if done.loyalty is not None:
                    bonus = done.loyalty.referral_points
                    extra = f" and +{bonus:,} referral bonus" if bonus else ""
                    yield Label(f"+{done.loyalty.points_earned:,} points{extra}", id="thanks-points", classes="center big")
                    yield Label(f"Your balance is now {done.loyalty.balance:,} points.", classes="center", id="thanks-balance")
                    if held := held_for_review(done.loyalty.points_held_for_review):
                        yield Label(held, classes="center", id="thanks-held")
                    if sentence := next_step(done.loyalty.next_reward, done.loyalty.tier):
                        yield Label(sentence, classes="center", id="thanks-next", markup=False)
                elif done.points_pending:
                    yield Label(f"+{done.points_expected:,} points on the way", id="thanks-points", classes="center big")
                    yield Label("They'll be added to your account shortly.", classes="center")
                else:
                    yield Label("Next time, sign in to rewards to collect points.", classes="center muted")
                if customer is not None and customer.referral_code:
                    yield Label(f"Invite a friend with your code {customer.referral_code}", classes="center",
                                id="thanks-referral", markup=False)
                if (emailed := receipt_words(done)) is not None:
                    yield Label(emailed, classes="center", id="thanks-emailed", markup=False)
                yield Label("Sorry, your receipt couldn't be printed. Please ask a member of staff for it.",
                            id="thanks-no-receipt", classes="center problem")
                yield Label("Touch anywhere to start a new shop.", classes="center muted")

    def on_mount(self) -> None:
        self.set_timer(self.seconds, self.finish)
        # The receipt prints beside this screen: a printer that fails while it does is said here.
        self.watch(self.app, "printer_status", self._show_receipt_problem)

    def _show_receipt_problem(self) -> None:
        self.query_one("#thanks-no-receipt", Label).display = cannot_print(getattr(self.app, "printer_status", None))

    @on(Click)
    @on(Key)
    def finish(self) -> None:
        if self.is_current:
            self.dismiss(None)
