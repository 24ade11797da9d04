"""A digital receipt as a customer reads it, made from the sale as stored (its answer) and its
returns: what both the receipt page (receipt_page.py) and the e-mail (receipt_message.py) show.
Plain text throughout; each renderer escapes it for its own medium."""

from __future__ import annotations

import json
from dataclasses import dataclass

from loyalty_service.database import Connection
from loyalty_service.program import Program, SurveyQuestion
from loyalty_service.schemas import Sale


@dataclass(frozen=True, slots=True)
class ReceiptView:
    sale_id: str
    store_id: str
    terminal_id: str
    date: str  # the sale's UTC time, "2026-12-02 09:15 UTC"
    lines: list[tuple[str, int, str]]  # (product, quantity, amount)
    discounts: list[tuple[str, str]]  # (reward, -amount)
    subtotal: str
    total: str
    points_earned: int
    balance: int
    next_reward: str | None  # a sentence
    returns: list[tuple[str, str]]  # (date, amount refunded)
    lines_removed: str | None
    survey: list[SurveyQuestion]


def money(amount: int, currency: str, exponent: int) -> str:
    """Minor units as the currency's major unit, exactly: 349 GBP -> "GBP 3.49"."""
    sign = "-" if amount < 0 else ""
    whole, part = divmod(abs(amount), 10**exponent)
    return f"{sign}{currency} {whole}.{part:0{exponent}d}" if exponent else f"{sign}{currency} {whole}"


def _date(stamp: str) -> str:
    return stamp[:16].replace("T", " ") + " UTC"


def receipt_view(conn: Connection, program: Program, sale: Sale) -> ReceiptView:
    def m(amount: int) -> str:
        return money(amount, sale.currency, program.exponent)

    returned = []
    for row in conn.execute("SELECT answer, created_at FROM sale_returns WHERE sale_id = ? ORDER BY created_at",
                            (sale.sale_id,)).fetchall():
        refund = json.loads(row["answer"]).get("refund_amount", 0)
        returned.append((_date(row["created_at"]), m(int(refund))))
    upcoming = sale.next_reward
    sentence = (f"{upcoming.points_needed} more points to {upcoming.name}." if upcoming is not None else None)
    return ReceiptView(
        sale_id=sale.sale_id,
        store_id=sale.store_id,
        terminal_id=sale.terminal_id,
        date=_date(sale.created_at),
        lines=[(line.name, line.quantity, m(line.unit_price * line.quantity)) for line in sale.lines],
        discounts=[(d.name, m(-d.amount)) for d in sale.discounts],
        subtotal=m(sale.subtotal),
        total=m(sale.total),
        points_earned=sale.points_earned,
        balance=sale.balance,
        next_reward=sentence,
        returns=returned,
        lines_removed=sale.lines_removed,
        survey=program.survey_for([(line.sku, line.category) for line in sale.lines]),
    )
