"""Recording one sale for a till: the checks and writes ``POST /v1/sales`` and each sale of
``POST /v1/sales/batch`` go through, so the two routes cannot answer one sale differently."""

from __future__ import annotations

from loyalty_service import activity_flags, digital_receipts, presence, sales, serving
from loyalty_service.auth import check_binding
from loyalty_service.database import Connection
from loyalty_service.errors import ApiError
from loyalty_service.program import Program
from loyalty_service.schemas import Sale, SaleRequest
from loyalty_service.terminal_keys import KeyHolder


def take_sale(
    db: Connection, program: Program, holder: KeyHolder, sale_id: str, body: SaleRequest, flag_transactions_per_day: int,
    *, public_url: str | None = None,
) -> tuple[Sale, bool]:
    """(the answer, whether it is a replay), or the ApiError the sale is refused with. Call inside
    a write transaction (``write_transaction``): the key check and the inserts are one step.
    ``public_url``: where the service's receipt pages are (digital_receipts.py), if anywhere."""
    check_binding(holder, body.store_id, body.terminal_id)
    address: list[str | None] = [None]

    def new_sale_check() -> None:
        if db.execute("SELECT 1 FROM anonymous_sales WHERE sale_id = ?", (sale_id,)).fetchone() is not None:
            raise ApiError(409, "idempotency_conflict", "This Idempotency-Key is an anonymous sale (anonymous_sales.py).")
        if sales.spends_points(body):
            presence.require_for_sale(db, holder, sale_id, body.account_id, body.presence, body.reservation_id)
        address[0] = digital_receipts.receipt_address(db, body)

    answer, replayed = sales.record_sale(db, program, sale_id, body, new_sale_check=new_sale_check)
    if not replayed:
        activity_flags.note_transaction(db, body.account_id, flag_transactions_per_day)
        serving.note_serving(db, holder, body.account_id)
        digital_receipts.keep(db, sale_id, body.account_id, address[0])
    receipt = digital_receipts.answer_for(db, sale_id, public_url)
    return answer.model_copy(update={"digital_receipt": receipt}), replayed
