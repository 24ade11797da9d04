"""The receipt as lines of text at a printer's width, with the loyalty block. Pure: no I/O.

The paper goes home with the customer and lies on the counter meanwhile: it names them by first
name and initial and says what is next as the customer display does (``pos_core/customer_words.py``).
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, replace
from datetime import datetime

from pos_core.customer_words import held_for_review, progress_sentence, short_name
from pos_core.money import format_money
from pos_core.receipt_by_email import receipt_words
from pos_core.sale import CompletedSale


@dataclass(frozen=True, slots=True)
class ReceiptHeader:
    store_name: str
    privacy_notice: str = ""
    width: int = 40
    # Training mode: the paper says at top and bottom that it is not a receipt.
    training: bool = False


TRAINING_MARK = "TRAINING — NOT A RECEIPT"

# The receipt number a return scans: R- and the sale's id (the loyalty Idempotency-Key).
RECEIPT_PREFIX = "R-"
_SALE_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def receipt_number(sale_id: str) -> str:
    return f"{RECEIPT_PREFIX}{sale_id.lower()}"


def sale_id_from_receipt(text: str) -> str | None:
    """The sale id in a receipt number as scanned or typed (any case, spaces around), else None."""
    read = text.strip().lower()
    if not read.startswith(RECEIPT_PREFIX.lower()):
        return None
    sale_id = read[len(RECEIPT_PREFIX):]
    return sale_id if _SALE_ID.fullmatch(sale_id) else None


def render_receipt(done: CompletedSale, header: ReceiptHeader) -> list[str]:
    width = header.width
    currency = done.sale.currency
    money = lambda minor: format_money(minor, currency)  # noqa: E731 - local shorthand

    def pair(left: str, right: str) -> str:
        return two_columns(left, right, width)

    rule = "-" * width
    # The till's local time, as the shopper reads it.
    when = datetime.fromisoformat(done.completed_at.replace("Z", "+00:00")).astimezone().strftime("%Y-%m-%d %H:%M")
    lines = [
        header.store_name.center(width).rstrip(),
        f"{done.sale.terminal_id} · {when}".center(width).rstrip(),
        f"Receipt {done.sale.sale_id[:8].upper()}".center(width).rstrip(),
        rule,
    ]
    for line in done.sale.basket.lines:
        if line.quantity == 1:
            lines.append(pair(line.product.name, money(line.line_total)))
        else:
            lines.append(_clip(line.product.name, width))
            lines.append(pair(f"  {line.quantity} x {money(line.product.unit_price)}", money(line.line_total)))
    lines.append(rule)
    loyalty = done.loyalty
    lines.append(pair("Subtotal", money(done.sale.basket.subtotal)))
    for discount in done.discounts:
        lines.append(pair(discount.name, money(-discount.amount)))
    lines.append(pair("TOTAL", money(done.total)))
    for tender in done.tender:
        lines.append(pair(tender.method.capitalize(), money(tender.amount)))
    if done.change:
        lines.append(pair("Change", money(done.change)))
    if loyalty and done.sale.customer:
        customer = done.sale.customer
        tier = loyalty.tier.name if loyalty.tier else customer.tier.name
        lines.append(" LOYALTY ".center(width, "="))
        lines.append(_clip(f"{short_name(customer.display_name)} · {tier}", width))
        lines.append(pair("Points earned", f"+{loyalty.points_earned:,}"))
        if loyalty.referral_points:
            lines.append(pair("Referral bonus", f"+{loyalty.referral_points:,}"))
        if loyalty.points_held_for_review:
            lines.append(pair("Held for review", f"{loyalty.points_held_for_review:,}"))
        if loyalty.points_redeemed:
            lines.append(pair("Points redeemed", f"-{loyalty.points_redeemed:,}"))
        lines.append(pair("Balance", f"{loyalty.balance:,} pts"))
        # What is next for this customer after this sale, as the one sentence the customer display says.
        after = replace(customer, balance=loyalty.balance, tier=loyalty.tier or customer.tier,
                        next_reward=loyalty.next_reward)
        lines.extend(textwrap.wrap(progress_sentence(after), width))
        lines.extend(textwrap.wrap(held_for_review(loyalty.points_held_for_review), width))
    elif done.points_pending and done.sale.customer:
        customer = done.sale.customer
        lines.append(" LOYALTY ".center(width, "="))
        lines.append(_clip(f"{short_name(customer.display_name)} · {customer.tier.name}", width))
        lines.append(pair("Points (pending)", f"+{done.points_expected:,}"))
        balance = customer.balance + customer.pending_points + done.points_expected - _redeemed(done)
        lines.append(pair("Balance (provisional)", f"{balance:,} pts"))
        lines.extend(
            textwrap.wrap(
                "Your points are saved on this till and will be added to your account as soon as"
                " our loyalty system confirms them.",
                width,
            )
        )
    if (emailed := receipt_words(done)) is not None:
        lines.extend(textwrap.wrap(emailed, width))  # the address masked: the paper lies on the counter
    if done.sale.customer is not None and (code := done.sale.customer.referral_code):
        # The member's own code, to give a friend who joins (the service checks it at enrolment).
        lines.append(pair("Your referral code", _clip(code, 12)))
        lines.extend(textwrap.wrap("Give it to a friend who joins: you both get points.", width))
    if (loyalty or done.points_pending) and done.sale.customer and header.privacy_notice:
        lines.append("")
        lines.extend(textwrap.wrap(header.privacy_notice, width))
    if done.sale.customer is not None:
        # Sales with a loyalty customer are on the service, so their lines can be returned by this number.
        number = receipt_number(done.sale.sale_id)
        if len(f"Receipt no. {number}") <= width:
            lines.append(f"Receipt no. {number}".center(width).rstrip())
        else:
            # Never clipped: a cut number could not be scanned back (the printer may wrap it).
            lines.extend(["Receipt no.".center(width).rstrip(), number.center(width).rstrip()])
    lines.append("=" * width)
    lines.append("Thank you for shopping with us".center(width).rstrip())
    if header.training:
        mark = f"*** {TRAINING_MARK} ***" if len(TRAINING_MARK) + 8 <= width else TRAINING_MARK
        lines = [mark.center(width).rstrip(), *lines, mark.center(width).rstrip()]
    return lines


def _redeemed(done: CompletedSale) -> int:
    customer = done.sale.customer
    if customer is None:
        return 0
    costs = {reward.reward_id: reward.cost for reward in customer.rewards_available}
    return sum(costs.get(reward_id, 0) for reward_id in done.sale.rewards)


def two_columns(left: str, right: str, width: int) -> str:
    """``left`` and ``right`` on one line of ``width``, the left clipped with … to make room."""
    room = max(width - len(right) - 1, 1)
    return f"{_clip(left, room):<{room}} {right}"


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
