"""Sales without a member (``POST /v1/anonymous-sales``): counted, so a participation rate has the
sales no customer was identified for, and never credited.

A separate route rather than ``POST /v1/sales`` without an account, so the sale body and answer
tills were written against keep their meaning (``account_id`` always there). An anonymous sale
holds no personal data: the store, till and cashier, when the till completed it, and per line the
SKU, category, quantity and amount (minor units) - no product names, no tender, no customer. It is
recorded once per Idempotency-Key (the sale's id, a UUID, as for a member's sale); the same id used
for another anonymous body, or already a member's sale, is ``409 idempotency_conflict``. Nothing
here touches accounts, the ledger or events.
"""

from __future__ import annotations

import hashlib
import json

from pydantic import BaseModel, Field

from loyalty_service import sale_limits
from loyalty_service.clock import utc_now
from loyalty_service.database import Connection
from loyalty_service.errors import ApiError
from loyalty_service.program import Program
from loyalty_service.schemas import MAX_LINE_QUANTITY, MAX_SALE_LINES, ErrorDetail, RequestBody


class AnonymousLine(RequestBody):
    sku: str = Field(min_length=1, max_length=64)
    category: str = Field(max_length=64)
    quantity: int = Field(ge=1, le=MAX_LINE_QUANTITY)
    unit_price: int = Field(ge=0, le=10**10, description="minor units")


class AnonymousSaleRequest(RequestBody):
    store_id: str = Field(min_length=1, max_length=64)
    terminal_id: str = Field(min_length=1, max_length=64)
    cashier_id: str | None = Field(default=None, max_length=32)
    currency: str = Field(min_length=3, max_length=3)
    lines: list[AnonymousLine] = Field(min_length=1, max_length=MAX_SALE_LINES)
    total: int = Field(ge=0, le=10**11, description="what the customer paid, minor units")
    completed_at: str | None = Field(default=None, max_length=40, description="when the till completed it (UTC)")


class StoredLine(BaseModel):
    sku: str
    category: str
    quantity: int
    amount: int  # quantity x unit price, minor units


class AnonymousSale(BaseModel):
    sale_id: str
    store_id: str
    terminal_id: str
    cashier_id: str | None
    currency: str
    lines: list[StoredLine]
    subtotal: int
    total: int
    completed_at: str | None
    created_at: str


def _digest(body: AnonymousSaleRequest) -> str:
    canonical = json.dumps(body.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def record(conn: Connection, program: Program, sale_id: str, body: AnonymousSaleRequest) -> tuple[AnonymousSale, bool]:
    """(the sale as stored, whether it is a replay). Call inside a write transaction."""
    digest = _digest(body)
    existing = conn.execute("SELECT * FROM anonymous_sales WHERE sale_id = ?", (sale_id,)).fetchone()
    if existing is not None:
        if existing["request_hash"] != digest:
            raise ApiError(409, "idempotency_conflict", "This Idempotency-Key was used for another sale.")
        return _answer(existing), True
    if conn.execute("SELECT 1 FROM sales WHERE sale_id = ?", (sale_id,)).fetchone() is not None:
        raise ApiError(409, "idempotency_conflict", "This Idempotency-Key is a member's sale.")
    if body.currency != program.currency:
        raise ApiError(422, "currency_mismatch", f"This programme runs in {program.currency}.",
                       [ErrorDetail(field="currency", problem=f"must be {program.currency}")])
    sale_limits.check_amount(program, body.lines)  # type: ignore[arg-type] - quantity and unit_price alone
    lines = [StoredLine(sku=line.sku, category=line.category, quantity=line.quantity,
                        amount=line.quantity * line.unit_price) for line in body.lines]
    stamp = utc_now()
    conn.execute(
        "INSERT INTO anonymous_sales (sale_id, request_hash, store_id, terminal_id, cashier_id, currency, lines,"
        " subtotal, total, completed_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (sale_id, digest, body.store_id, body.terminal_id, body.cashier_id, body.currency,
         json.dumps([line.model_dump() for line in lines], separators=(",", ":")),
         sum(line.amount for line in lines), body.total, body.completed_at, stamp),
    )
    row = conn.execute("SELECT * FROM anonymous_sales WHERE sale_id = ?", (sale_id,)).fetchone()
    return _answer(row), False


def _answer(row: object) -> AnonymousSale:
    return AnonymousSale(
        sale_id=row["sale_id"], store_id=row["store_id"], terminal_id=row["terminal_id"],  # type: ignore[index]
        cashier_id=row["cashier_id"], currency=row["currency"],  # type: ignore[index]
        lines=[StoredLine(**line) for line in json.loads(row["lines"])],  # type: ignore[index]
        subtotal=row["subtotal"], total=row["total"],  # type: ignore[index]
        completed_at=row["completed_at"], created_at=row["created_at"],  # type: ignore[index]
    )
