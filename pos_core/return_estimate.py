"""What the till knows of a sale being returned, and its own estimate of what a return refunds.

Online, the service's sale and its returns (``GET /v1/sales/{id}``, ``.../returns``) give each
line's ``paid`` (its total after its share of the discounts), so the estimate is exactly what the
service will answer, unless another till returns part of the same sale meanwhile. Offline, the
till can take a return only of a sale it made itself: its outbox journal holds the lines, tender
and total, and the service's answer once it confirmed the sale (which says which line a free item
came off). Then the discount is spread over the lines by their totals, and every share rounded
down, so the estimate never promises more than the service is likely to refund. Either way the
service's answer, once delivered, is what stands.

The refund goes back the way the sale was paid (the contract's rule): to the card first, up to
what the card paid less what earlier returns gave back to it, the rest in cash.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from pos_core.loyalty_models import (
    Program, ReturnableLine, ReturnedLine, ReturnResult, TenderRefund, returnable_lines,
)
from pos_core.money import format_money

Json = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class SaleForReturn:
    sale_id: str
    account_id: str
    currency: str
    created_at: str  # when the sale was made (ISO 8601, UTC)
    lines: tuple[ReturnableLine, ...]
    card_paid: int
    card_refunded: int  # by earlier returns, this till's still unconfirmed ones included
    from_till: bool = False  # found in the till's own journal (the service could not be asked)


def card_paid(tender: Iterable[Json]) -> int:
    return sum(int(t["amount"]) for t in tender if t.get("method") == "card")


def card_refunded(returns: Iterable[Json]) -> int:
    """What earlier returns gave back to the card (one without ``refunds`` paid out in cash)."""
    return sum(int(r["amount"]) for done in returns for r in done.get("refunds") or () if r.get("method") == "card")


def from_service(sale: Json, returns: Json, currency: str) -> SaleForReturn:
    return SaleForReturn(
        sale_id=str(sale["sale_id"]),
        account_id=str(sale["account_id"]),
        currency=str(sale.get("currency") or currency),
        created_at=str(sale.get("created_at", "")),
        lines=returnable_lines(sale, returns),
        card_paid=card_paid(sale.get("tender") or ()),
        card_refunded=card_refunded(returns.get("returns") or ()),
    )


def from_journal(
    sale_id: str, account_id: str, completed_at: str, total: int, journal: Json, answer: Json | None, currency: str
) -> SaleForReturn:
    """A sale this till recorded, from its journal (and the service's answer, if it confirmed it)."""
    lines = list(journal.get("lines") or ())
    totals = [int(line["quantity"]) * int(line["unit_price"]) for line in lines]
    cuts = [0] * len(lines)
    paid_total = int(answer["total"]) if answer else total
    for discount in (answer or {}).get("discounts") or ():
        for part in discount.get("lines") or ():
            if 0 <= int(part["line"]) < len(cuts):
                cuts[int(part["line"])] += int(part["amount"])
    rest = max(sum(totals) - paid_total - sum(cuts), 0)
    left = [max(t - c, 0) for t, c in zip(totals, cuts, strict=True)]
    base = sum(left)
    if rest and base:
        # Rounded up per line, so the line's paid (and so the refund) is rounded down.
        cuts = [c + min(-(-rest * share // base), share) for c, share in zip(cuts, left, strict=True)]
    return SaleForReturn(
        sale_id=sale_id,
        account_id=account_id,
        currency=currency,
        created_at=completed_at,
        lines=tuple(
            ReturnableLine(i, str(line["sku"]), str(line.get("name", "")), int(line["quantity"]),
                           int(line["unit_price"]), 0, max(t - c, 0))
            for i, (line, t, c) in enumerate(zip(lines, totals, cuts, strict=True))
        ),
        card_paid=card_paid(journal.get("tender") or ()),
        card_refunded=0,
        from_till=True,
    )


def with_unconfirmed(found: SaleForReturn, pending: Iterable[Json]) -> SaleForReturn:
    """Count the till's own returns of this sale that the service has not confirmed yet (each a
    journal: ``lines`` as ``[{line, quantity}]`` and ``refunds``), so nothing comes back twice."""
    returned = {line.line: line.returned for line in found.lines}
    card = found.card_refunded
    for journal in pending:
        for part in journal.get("lines") or ():
            returned[int(part["line"])] = returned.get(int(part["line"]), 0) + int(part["quantity"])
        card += card_refunded([journal])
    return replace(found, lines=tuple(replace(line, returned=returned[line.line]) for line in found.lines),
                   card_refunded=card)


def units(found: SaleForReturn, picked: Mapping[str, int]) -> dict[int, int]:
    """{line index: units} for ``{sku: units}``, a product on two lines filling the first first."""
    chosen: dict[int, int] = {}
    for sku, wanted in picked.items():
        for line in found.lines:
            if line.sku == sku and wanted > 0:
                take = min(wanted, line.left)
                if take:
                    chosen[line.line] = take
                    wanted -= take
    return chosen


def estimate(found: SaleForReturn, picked: Mapping[str, int]) -> ReturnResult:
    """The till's estimate of returning ``{sku: units}``: what each line refunds, and where to."""
    returned: list[ReturnedLine] = []
    for index, count in units(found, picked).items():
        line = found.lines[index]
        paid = line.paid if line.paid is not None else line.quantity * line.unit_price
        refund = paid * (line.returned + count) // line.quantity - paid * line.returned // line.quantity
        returned.append(ReturnedLine(index, line.sku, line.name, count, refund))
    amount = sum(line.refund_amount for line in returned)
    to_card = min(amount, max(found.card_paid - found.card_refunded, 0))
    refunds = tuple(TenderRefund(method, value) for method, value in (("card", to_card), ("cash", amount - to_card))
                    if value)
    return ReturnResult(
        return_id="", sale_id=found.sale_id, account_id=found.account_id, currency=found.currency,
        lines=tuple(returned), refund_amount=amount, points_reversed=0, points_refunded=0, points_debt=0,
        balance=None, refunds=refunds, estimated=True,
    )


def manager_reason(program: Program | None, found: SaleForReturn, refund: int, now: datetime) -> str | None:
    """Why the service will want a manager's PIN for this return (the programme's limits), or None."""
    if program is None:
        return None
    try:
        sold = datetime.fromisoformat(found.created_at.replace("Z", "+00:00"))
    except ValueError:
        sold = None
    if program.return_days is not None and sold is not None and now - sold > timedelta(days=program.return_days):
        return f"The sale is more than {program.return_days} days old."
    if program.return_pin_above is not None and refund > program.return_pin_above:
        return f"The refund is more than {format_money(program.return_pin_above, found.currency)}."
    return None


def refund_words(result: ReturnResult) -> str:
    """What the cashier gives back, and how: "Refund £2.85 to the card." / "... in cash." / both."""
    parts = {r.method: format_money(r.amount, result.currency) for r in result.refunds}
    if not parts:
        return f"Nothing to refund ({format_money(0, result.currency)})."
    if set(parts) == {"card", "cash"}:
        return f"Refund {parts['card']} to the card and {parts['cash']} in cash."
    if "card" in parts:
        return f"Refund {parts['card']} to the card."
    return f"Refund {parts['cash']} in cash."
