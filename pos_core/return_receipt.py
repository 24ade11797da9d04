"""The return slip as lines of text at a printer's width: what came back, and where the refund
went (to the card, in cash), with the loyalty points taken back. Pure: no I/O."""

from __future__ import annotations

from datetime import datetime

from pos_core.loyalty_models import ReturnResult
from pos_core.money import format_money
from pos_core.receipt import ReceiptHeader, receipt_number, two_columns

_TENDER_WORDS = {"card": "Refunded to card", "cash": "Refunded in cash"}


def render_return_receipt(result: ReturnResult, header: ReceiptHeader, *, terminal_id: str, when: str) -> list[str]:
    """``when``: the return's time (ISO 8601, UTC), shown in the till's local time."""
    width = header.width
    money = lambda minor: format_money(minor, result.currency)  # noqa: E731 - local shorthand

    def pair(left: str, right: str) -> str:
        return two_columns(left, right, width)

    local = datetime.fromisoformat(when.replace("Z", "+00:00")).astimezone().strftime("%Y-%m-%d %H:%M")
    lines = [
        header.store_name.center(width).rstrip(),
        f"{terminal_id} · {local}".center(width).rstrip(),
        "RETURN".center(width).rstrip(),
        "Of receipt no.".center(width).rstrip(),
        receipt_number(result.sale_id).center(width).rstrip(),
        "-" * width,
    ]
    for line in result.lines:
        lines.append(pair(f"{line.quantity} x {line.name}", money(line.refund_amount)))
    lines.append("-" * width)
    lines.append(pair("REFUND", money(result.refund_amount)))
    for refund in result.refunds:
        lines.append(pair(_TENDER_WORDS.get(refund.method, refund.method.capitalize()), money(refund.amount)))
    if result.estimated:
        lines.append("Estimated by this till; our loyalty".center(width).rstrip())
        lines.append("system confirms it later.".center(width).rstrip())
    else:
        lines.append(" LOYALTY ".center(width, "="))
        if result.points_reversed:
            lines.append(pair("Points taken back", f"-{result.points_reversed:,}"))
        if result.points_refunded:
            lines.append(pair("Reward points back", f"+{result.points_refunded:,}"))
        if result.referral_points_reversed:
            lines.append(pair("Referral bonus back", f"-{result.referral_points_reversed:,}"))
        if result.balance is not None:
            lines.append(pair("Balance", f"{result.balance:,} pts"))
    lines.append("=" * width)
    if header.training:
        lines = ["TRAINING — NOT A RECEIPT".center(width).rstrip(), *lines]
    return lines
