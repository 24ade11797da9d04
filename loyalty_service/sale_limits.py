"""How big one sale may be: its amount and its tender, bounded by the programme's
``max_sale_amount`` ([limits] in the programme file). The number of lines and each line's
quantity are bounded by the request's shape (schemas.py, ``MAX_SALE_LINES``/``MAX_LINE_QUANTITY``).

Measured before: one sale of 50 lines x 100 000 loaves with a 20 bn cash tender was recorded and
earned 17 450 050 points. A quote is bounded as its sale would be, so a till learns before payment.
"""

from __future__ import annotations

from collections.abc import Sequence

from loyalty_service.errors import ApiError
from loyalty_service.program import Program
from loyalty_service.schemas import ErrorDetail, SaleLine, TenderLine


def check_amount(program: Program, lines: Sequence[SaleLine]) -> None:
    """422 sale_too_large when the lines' subtotal (before rewards) is over the programme's limit."""
    subtotal = sum(line.quantity * line.unit_price for line in lines)
    if subtotal > program.max_sale_amount:
        raise ApiError(422, "sale_too_large", f"A sale may come to at most {program.max_sale_amount}"
                       " minor units before rewards; split it.",
                       [ErrorDetail(field="lines", problem=f"subtotal over max_sale_amount {program.max_sale_amount}")])


def check_tender(program: Program, tender: Sequence[TenderLine]) -> None:
    """422 sale_too_large when the tender in all (cash handed over included) is over the limit."""
    if sum(t.amount for t in tender) > program.max_sale_amount:
        raise ApiError(422, "sale_too_large", f"The tender may come to at most {program.max_sale_amount} minor units.",
                       [ErrorDetail(field="tender", problem=f"over max_sale_amount {program.max_sale_amount}")])
