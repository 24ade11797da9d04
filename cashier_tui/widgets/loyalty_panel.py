"""The customer's loyalty picture: name, tier, balance, progress to the next reward, rewards.

Its widgets are made once and updated in place (text, classes, shown or hidden), and only where
something changed, whenever the sale, its quote or the lookup changes: recomposing the whole panel
on every change (a customer found, an item scanned, a quote) removed and mounted a dozen widgets
and laid out the screen again each time, which was most of the time between the service's answer
and the panel on screen. "Looking up the customer…" shows only once a lookup has taken
``LOOKING_UP_AFTER`` seconds: a quick answer goes straight to the customer, without a flicker
(and without a frame drawn while the answer is on its way).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.reactive import reactive
from textual.timer import Timer
from textual.widgets import Label, ProgressBar

from pos_core.loyalty_models import AccountSummary, Quote
from pos_core.money import format_money
from pos_core.sale import Sale
from pos_core.shown_text import printable


LOOKING_UP_AFTER = 0.2  # seconds


def _set_text(label: Label, text: str | Content) -> None:
    """``label.update`` only when the text differs: every update lays the screen out again."""
    if getattr(label, "_shown_text", None) != text:
        label._shown_text = text  # type: ignore[attr-defined]
        label.update(text)


class LoyaltyPanel(VerticalScroll, can_focus=False):
    # The panel itself is not repainted for a change: its labels redraw what changed in them.
    sale: reactive[Sale | None] = reactive(None, repaint=False)
    quote: reactive[Quote | None] = reactive(None, repaint=False)
    looking_up: reactive[bool] = reactive(False, repaint=False)

    def compose(self) -> ComposeResult:
        yield Label("Looking up the customer…", classes="muted", id="panel-looking-up")
        yield Label("No customer on this sale.", classes="muted", id="panel-no-customer")
        yield Label("F2  find them by phone number, or enrol them.", classes="hint", id="panel-no-customer-hint")
        yield Label(id="customer-name")
        yield Label(id="customer-tier")
        yield Label(id="customer-balance")
        yield Label("Offline: from this till's records, not yet confirmed.", classes="muted", id="panel-offline")
        yield Label(classes="next-reward", id="panel-next-reward")
        yield ProgressBar(total=1, show_eta=False, show_percentage=False, id="next-reward-bar")
        yield Label("Rewards to use today  (F3)", classes="section", id="panel-rewards-title")
        yield Vertical(id="panel-rewards")
        yield Label("No rewards to use yet.", classes="muted", id="panel-no-rewards")
        yield Label(classes="section", id="points-this-sale")
        yield Label(classes="saving", id="panel-saving")

    def on_mount(self) -> None:
        self._looking_up_timer: Timer | None = None
        self._looking_up_shown = False
        self._show()

    def watch_sale(self) -> None:
        self._show()

    def watch_quote(self) -> None:
        self._show()

    def watch_looking_up(self, looking_up: bool) -> None:
        if not self.is_mounted:
            return
        if self._looking_up_timer is not None:
            self._looking_up_timer.stop()
            self._looking_up_timer = None
        if looking_up:
            self._looking_up_timer = self.set_timer(LOOKING_UP_AFTER, self._lookup_is_slow, name="looking up")
        else:
            self._looking_up_shown = False
            self._show()

    def _lookup_is_slow(self) -> None:
        self._looking_up_timer = None
        if self.looking_up:
            self._looking_up_shown = True
            self._show()

    def _label(self, selector: str) -> Label:
        return self.query_one(selector, Label)

    def _show(self) -> None:
        if not self.is_mounted:
            return
        customer = self.sale.customer if self.sale else None
        looking_up = self._looking_up_shown
        shown = {"#panel-looking-up": looking_up, "#panel-no-customer": not looking_up and customer is None,
                 "#panel-no-customer-hint": not looking_up and customer is None}
        if customer is not None and not looking_up:
            shown.update(self._show_customer(customer))
            shown.update(self._show_quote(self.quote))
        for widget in self.children:
            # Each widget's display is set once, and only when it changes (a change lays out again).
            wanted = shown.get(f"#{widget.id}", False)
            if widget.display != wanted:
                widget.display = wanted

    def _show_customer(self, customer: AccountSummary) -> dict[str, bool]:
        """Put the customer's words in place; says which of the customer's widgets show."""
        tier = customer.tier
        # Names, tiers and rewards are the service's data: shown as text, never read as markup.
        _set_text(self._label("#customer-name"), Content(printable(customer.display_name)))
        if tier.next_tier and tier.points_to_next_tier is not None:
            tier_text = Content.assemble(printable(tier.name), f" · {tier.points_to_next_tier:,} pts to ",
                                         printable(tier.next_tier))
        else:
            tier_text = Content.assemble(printable(tier.name), " · top tier")
        _set_text(self._label("#customer-tier"), tier_text)
        balance = self._label("#customer-balance")
        if customer.provisional:
            _set_text(balance, f"Balance ≈ {customer.balance + customer.pending_points:,} pts")
        elif customer.pending_points:
            _set_text(balance, f"Balance  {customer.balance:,} pts (+{customer.pending_points:,} pending)")
        else:
            _set_text(balance, f"Balance  {customer.balance:,} pts")
        if balance.has_class("provisional") != customer.provisional:
            balance.set_class(customer.provisional, "provisional")
        rewards = bool(customer.rewards_available)
        self._show_next_reward(customer)
        self._show_rewards(customer)
        return {"#customer-name": True, "#customer-tier": True, "#customer-balance": True,
                "#panel-offline": customer.provisional, "#panel-next-reward": customer.next_reward is not None,
                "#next-reward-bar": customer.next_reward is not None, "#panel-rewards-title": rewards,
                "#panel-rewards": rewards, "#panel-no-rewards": not rewards}

    def _show_next_reward(self, customer: AccountSummary) -> None:
        reward = customer.next_reward
        if reward is None:
            return
        label = self._label("#panel-next-reward")
        bar = self.query_one("#next-reward-bar", ProgressBar)
        _set_text(label, Content.assemble(f"{reward.points_needed:,} pts to ", printable(reward.name)))
        bar.update(total=reward.cost, progress=max(0, reward.cost - reward.points_needed))

    def _show_rewards(self, customer: AccountSummary) -> None:
        applied = set(self.sale.rewards) if self.sale else set()
        rewards = customer.rewards_available
        shelf = self.query_one("#panel-rewards", Vertical)
        labels = list(shelf.query_children(Label))
        if len(labels) < len(rewards):
            more = [Label() for _ in range(len(rewards) - len(labels))]
            shelf.mount_all(more)  # the panel grows for the longest list it has shown, once
            labels += more
        for label, reward in zip(labels, rewards):
            on = reward.reward_id in applied
            _set_text(label, Content.assemble(f"{'✔' if on else '·'} ", printable(reward.name), f"  {reward.cost:,}"))
            if label.has_class("applied") != on or not label.has_class("reward"):
                label.set_classes("reward applied" if on else "reward")
            if not label.display:
                label.display = True
        for label in labels[len(rewards):]:
            if label.display:
                label.display = False

    def _show_quote(self, quote: Quote | None) -> dict[str, bool]:
        if quote is None:
            return {}
        _set_text(self._label("#points-this-sale"),
                  f"This sale: {'about ' if quote.estimated else ''}+{quote.points_earned:,} pts")
        if quote.discount_total:
            _set_text(self._label("#panel-saving"), f"Saving {format_money(quote.discount_total, quote.currency)}")
        return {"#points-this-sale": True, "#panel-saving": bool(quote.discount_total)}
