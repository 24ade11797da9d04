"""The customer's loyalty picture: name, tier, balance, progress to the next reward, rewards.

One widget that draws its lines itself. It works out its lines (each a key, its words and its
look) whenever the sale, its quote or the lookup changes, and redraws only when they differ; its
size never changes, so a customer found is one widget redrawn, never a layout of the screen. (A
panel of a dozen labels shown and hidden laid the whole screen out again and redrew every label:
most of a card scan's time between the service's answer and the panel on screen.)

- "Looking up the customer…" shows only once a lookup has taken ``LOOKING_UP_AFTER`` seconds: a
  quick answer goes straight to the customer, without a flicker.
- Names, tiers and rewards are the service's data: shown as text (``Content``), never markup.
- The look of each kind of line is the theme's (component classes, ``themes/cashier.tcss``).
- Lines wrap within the panel; when rewards run past its foot, the last line says how many more
  there are (F3 lists them all).
- ``shown()`` and ``text(key)`` say what the panel shows, ``drawn_text(key)`` and
  ``offset_of(key)`` what it last drew and where: for tests and benchmarks.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.content import Content
from textual.geometry import Offset
from textual.reactive import reactive
from textual.timer import Timer
from textual.widget import Widget

from pos_core.loyalty_models import AccountSummary, Quote
from pos_core.money import format_money
from pos_core.receipt_by_email import sale_words, takes_email_receipt
from pos_core.sale import Sale
from pos_core.shown_text import printable

LOOKING_UP_AFTER = 0.2  # seconds


@dataclass(frozen=True)
class Line:
    key: str  # what the line is ("customer-name", "reward-0", …)
    words: Content
    look: str = ""  # the component class it is drawn in ("" for the panel's own)
    gap: bool = False  # a blank line before it
    bar: tuple[int, int] | None = None  # (done, total): drawn as a bar across the panel


class LoyaltyPanel(Widget, can_focus=False):
    COMPONENT_CLASSES = {
        "loyalty-panel--name", "loyalty-panel--balance", "loyalty-panel--provisional", "loyalty-panel--muted",
        "loyalty-panel--section", "loyalty-panel--next-reward", "loyalty-panel--reward",
        "loyalty-panel--reward-applied", "loyalty-panel--saving", "loyalty-panel--bar-done",
        "loyalty-panel--bar-left",
    }

    # Not repainted for a change as such: _show redraws when the lines differ.
    sale: reactive[Sale | None] = reactive(None, repaint=False)
    quote: reactive[Quote | None] = reactive(None, repaint=False)
    looking_up: reactive[bool] = reactive(False, repaint=False)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._lines: tuple[Line, ...] = ()
        self._drawn: dict[str, tuple[str, int]] = {}  # key: (text, row) as last drawn
        self._looking_up_timer: Timer | None = None
        self._looking_up_shown = False

    def on_mount(self) -> None:
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

    # -- what is drawn, for tests and benchmarks ---------------------------------------------------

    def shown(self) -> list[str]:
        """The keys of the panel's lines now (drawn at the next frame), in order."""
        return [line.key for line in self._lines]

    def text(self, key: str) -> str:
        """The words of one of the panel's lines now ("" when it has no such line)."""
        return next((line.words.plain for line in self._lines if line.key == key), "")

    def drawn_text(self, key: str) -> str | None:
        """The words of a line as last drawn (None when it was not)."""
        drawn = self._drawn.get(key)
        return drawn[0] if drawn is not None else None

    def offset_of(self, key: str) -> Offset | None:
        """Where a drawn line starts, from the panel's top left corner (border included)."""
        if (drawn := self._drawn.get(key)) is None:
            return None
        top, _, _, left = self.styles.gutter
        return Offset(left, top + drawn[1])

    # -- working the lines out ---------------------------------------------------------------------

    def _show(self) -> None:
        if not self.is_mounted:
            return
        lines = self._lines_now()
        if lines != self._lines:
            self._lines = lines
            self.refresh()

    def _lines_now(self) -> tuple[Line, ...]:
        customer = self.sale.customer if self.sale else None
        if self._looking_up_shown:
            return (Line("panel-looking-up", Content("Looking up the customer…"), "loyalty-panel--muted"),)
        if customer is None:
            return (Line("panel-no-customer", Content("No customer on this sale."), "loyalty-panel--muted"),
                    Line("panel-no-customer-hint", Content("F2  find them by phone number, or enrol them."),
                         "loyalty-panel--muted", gap=True))
        return (*self._customer_lines(customer), *self._quote_lines(self.quote))

    def _customer_lines(self, customer: AccountSummary) -> list[Line]:
        tier = customer.tier
        if tier.next_tier and tier.points_to_next_tier is not None:
            tier_text = Content.assemble(printable(tier.name), f" · {tier.points_to_next_tier:,} pts to ",
                                         printable(tier.next_tier))
        else:
            tier_text = Content.assemble(printable(tier.name), " · top tier")
        if customer.provisional:
            balance = f"Balance ≈ {customer.balance + customer.pending_points:,} pts"
        elif customer.pending_points:
            balance = f"Balance  {customer.balance:,} pts (+{customer.pending_points:,} pending)"
        else:
            balance = f"Balance  {customer.balance:,} pts"
        lines = [
            Line("customer-name", Content(printable(customer.display_name)), "loyalty-panel--name"),
            Line("customer-tier", tier_text),
            Line("customer-balance", Content(balance),
                 "loyalty-panel--provisional" if customer.provisional else "loyalty-panel--balance"),
        ]
        if customer.provisional:
            lines.append(Line("panel-offline", Content("Offline: from this till's records, not yet confirmed."),
                              "loyalty-panel--muted"))
        if self.sale is not None and (receipt := sale_words(self.sale)) is not None:
            lines.append(Line("panel-receipt-email", Content(receipt), "loyalty-panel--muted"))  # masked: data
        elif takes_email_receipt(customer):
            lines.append(Line("panel-receipt-email", Content("Ctrl+E  e-mail the receipt"), "loyalty-panel--muted"))
        if (reward := customer.next_reward) is not None:
            lines.append(Line("panel-next-reward", Content.assemble(f"{reward.points_needed:,} pts to ",
                                                                    printable(reward.name)),
                              "loyalty-panel--next-reward"))
            lines.append(Line("next-reward-bar", Content(""),
                              bar=(max(0, reward.cost - reward.points_needed), max(1, reward.cost))))
        applied = set(self.sale.rewards) if self.sale else set()
        if customer.rewards_available:
            lines.append(Line("panel-rewards-title", Content("Rewards to use today  (F3)"), "loyalty-panel--section",
                              gap=True))
            for index, reward in enumerate(customer.rewards_available):
                on = reward.reward_id in applied
                lines.append(Line(f"reward-{index}",
                                  Content.assemble(f"{'✔' if on else '·'} ", printable(reward.name), f"  {reward.cost:,}"),
                                  "loyalty-panel--reward-applied" if on else "loyalty-panel--reward"))
        else:
            lines.append(Line("panel-no-rewards", Content("No rewards to use yet."), "loyalty-panel--muted"))
        return lines

    def _quote_lines(self, quote: Quote | None) -> list[Line]:
        if quote is None:
            return []
        lines = [Line("points-this-sale", Content(f"This sale: {'about ' if quote.estimated else ''}"
                                                  f"+{quote.points_earned:,} pts"), "loyalty-panel--section", gap=True)]
        if quote.discount_total:
            lines.append(Line("panel-saving", Content(f"Saving {format_money(quote.discount_total, quote.currency)}"),
                              "loyalty-panel--saving"))
        return lines

    # -- drawing -----------------------------------------------------------------------------------

    def render(self) -> Content:
        width, height = self.content_size.width, self.content_size.height
        if width <= 0:
            return Content("")
        rows = [(line, self._bar(line.bar, width) if line.bar else self._styled(line).wrap(width))
                for line in self._lines]
        drawn: dict[str, tuple[str, int]] = {}
        out: list[Content] = []
        for line, parts in self._fitted(rows, height):
            out.extend([Content("")] * line.gap)
            drawn[line.key] = (line.words.plain, len(out))
            out.extend(parts)
        self._drawn = drawn
        return Content("\n").join(out)

    def _styled(self, line: Line) -> Content:
        if not line.look:
            return line.words
        return line.words.stylize_before(self.get_visual_style(line.look, partial=True))

    def _bar(self, bar: tuple[int, int], width: int) -> list[Content]:
        done, total = bar
        filled = min(width, width * done // total)
        return [Content.assemble(
            Content("━" * filled).stylize(self.get_visual_style("loyalty-panel--bar-done", partial=True)),
            Content("━" * (width - filled)).stylize(self.get_visual_style("loyalty-panel--bar-left", partial=True)),
        )]

    def _fitted(self, rows: list[tuple[Line, list[Content]]], height: int) -> list[tuple[Line, list[Content]]]:
        """Rewards past the panel's foot make way for a line saying how many more there are."""
        def used() -> int:
            return sum(line.gap + len(parts) for line, parts in rows)

        if height <= 0 or used() <= height:
            return rows
        rewards = [index for index, (line, _) in enumerate(rows) if line.key.startswith("reward-")]
        hidden = 0
        while rewards and used() + 1 > height:
            rows.pop(rewards.pop())
            hidden += 1
        if hidden:
            more = Line("panel-rewards-more", Content(f"… {hidden} more (F3)"), "loyalty-panel--muted")
            after = max(i for i, (line, _) in enumerate(rows) if line.key.startswith(("reward-", "panel-rewards-title")))
            rows.insert(after + 1, (more, [self._styled(more)]))
        return rows
