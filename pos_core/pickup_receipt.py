"""The slip of a click & collect order handed over at the till: what was collected, what was paid
online, the points the order earned (now, or when it was ordered) and the balance, and the receipt
number of the sale its points are on, which a return scans. Pure: no I/O."""

from __future__ import annotations

from datetime import datetime

from pos_core.customer_words import short_name
from pos_core.money import format_money
from pos_core.pickup_order import OrderPickup
from pos_core.receipt import ReceiptHeader, receipt_number, two_columns


def render_pickup_receipt(
    pickup: OrderPickup, header: ReceiptHeader, *, customer_name: str, terminal_id: str
) -> list[str]:
    order = pickup.order
    width = header.width
    money = lambda minor: format_money(minor, order.currency)  # noqa: E731 - local shorthand

    def pair(left: str, right: str) -> str:
        return two_columns(left, right, width)

    def centred(text: str) -> str:
        return (text if len(text) <= width else text[: width - 1] + "…").center(width).rstrip()

    when = order.collected_at or ""
    local = datetime.fromisoformat(when.replace("Z", "+00:00")).astimezone().strftime("%Y-%m-%d %H:%M") if when else ""
    lines = [
        centred(header.store_name),
        centred(f"{terminal_id} · {local}"),
        centred("CLICK & COLLECT"),
        centred(f"Order {order.order_id}"),
        "-" * width,
    ]
    for line in order.lines:
        lines.append(pair(f"{line.quantity} x {line.name}", money(line.quantity * line.unit_price)))
    lines.append("-" * width)
    lines.append(pair("Paid online", money(order.paid_total)))
    lines.append(" LOYALTY ".center(width, "="))
    if customer_name:
        lines.append(centred(short_name(customer_name)))
    earned = order.points_earned or 0
    if order.points_at == "at_order":
        lines.append(pair("Points (when ordered)", f"+{earned:,}"))
    else:
        lines.append(pair("Points earned", f"+{pickup.points_credited:,}"))
    lines.append(pair("Balance", f"{pickup.balance:,} pts"))
    if order.sale_id is not None:
        # The points are on this sale: a return of a collected item scans this number (F12).
        number = receipt_number(order.sale_id)
        if len(f"Receipt no. {number}") <= width:
            lines.append(centred(f"Receipt no. {number}"))
        else:
            lines.extend([centred("Receipt no."), number.center(width).rstrip()])
    lines.append("=" * width)
    if header.training:
        lines = ["TRAINING — NOT A RECEIPT".center(width).rstrip(), *lines]
    return lines
