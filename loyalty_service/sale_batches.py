"""``POST /v1/sales/batch``: up to 100 sales in one request, each answered as ``POST /v1/sales``
would have answered it alone (sale_recording.take_sale records both).

One write transaction for the whole batch, one savepoint per sale: a sale refused (or failing)
is rolled back to its savepoint and the others stand, and the batch costs one commit (one fsync
on SQLite) instead of one per sale. A sale's failure that is not a refusal (an unexpected error,
500) is answered for that sale, and the later sales of the same account in the batch are not
tried (500 too), so a customer's sales are never recorded out of order: the till retries them.

The body is read after the key is checked (the route declares no body to FastAPI, which would
read and parse it first), so the batch's larger body limit is spent only on a known key.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError

from loyalty_service import sales
from loyalty_service.database import Connection, Database, write_transaction
from loyalty_service.errors import ApiError, validation_details
from loyalty_service.program import Program
from loyalty_service.sale_recording import take_sale
from loyalty_service.schemas import ErrorBody, ErrorDetail, ErrorResponse, RequestBody, SaleRequest
from loyalty_service.terminal_keys import KeyHolder

log = logging.getLogger("loyalty_service")

MAX_BATCH_SALES = 100
# 100 sales of 200 lines, each line with the longest sku, name and category in plain text
# (about 410 bytes), fit with room to spare; one sale alone is still held to 256 KiB.
MAX_BATCH_BODY_BYTES = 10 * 1024 * 1024
PATH = "/v1/sales/batch"


class _Envelope(RequestBody):
    sales: list[Any] = Field(min_length=1, max_length=MAX_BATCH_SALES)


class BatchSale(SaleRequest):
    """One sale of a batch: a ``POST /v1/sales`` body and its id (its Idempotency-Key)."""

    sale_id: str = Field(description="a UUID: the sale's id, as Idempotency-Key is for POST /v1/sales")


class SaleBatchRequest(RequestBody):
    sales: list[BatchSale] = Field(min_length=1, max_length=MAX_BATCH_SALES)


class SaleBatchResult(BaseModel):
    sale_id: str | None = Field(description="the sale's id as sent (lower case); null when it sent none")
    status: int = Field(description="what POST /v1/sales would have answered: 201, or the error's status")
    body: dict[str, Any] = Field(description="a Sale (status 201) or the error document")
    replayed: bool = Field(False, description="true where POST /v1/sales would say Idempotent-Replayed: true")


class SaleBatch(BaseModel):
    results: list[SaleBatchResult]


def request_schema() -> dict[str, Any]:
    """SaleBatchRequest's JSON schema with every reference written out, for /openapi.json (the
    route reads its own body, so FastAPI does not see the model)."""
    schema = SaleBatchRequest.model_json_schema()
    definitions = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return inline(definitions[ref.removeprefix("#/$defs/")])
            return {key: inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(value) for value in node]
        return node

    return inline(schema)


def parse(raw: bytes) -> list[Any]:
    """The batch's sales, each still unchecked; 422 invalid_request for the batch as a whole
    when it is not ``{"sales": [...]}`` with 1 to 100 entries."""
    try:
        document = json.loads(raw)
    except ValueError:
        raise RequestValidationError([{"loc": ("body",), "msg": "JSON decode error", "type": "json_invalid"}]) from None
    try:
        return _Envelope.model_validate(document).sales
    except ValidationError as error:
        raise RequestValidationError(error.errors(include_input=False)) from None


def record_batch(
    database: Database, program: Program, holder: KeyHolder, raw: bytes, flag_transactions_per_day: int,
    public_url: str | None = None,
) -> list[dict[str, Any]]:
    """Every sale's result, in the order sent (a worker thread's work: it blocks)."""
    items = parse(raw)
    results: list[dict[str, Any]] = []
    failed_accounts: set[str] = set()
    with database.connection() as db, write_transaction(db):
        for item in items:
            results.append(_one(db, program, holder, item, flag_transactions_per_day, failed_accounts, public_url))
    return results


def _one(
    db: Connection, program: Program, holder: KeyHolder, item: Any, flag_transactions_per_day: int,
    failed_accounts: set[str], public_url: str | None = None,
) -> dict[str, Any]:
    given = item.get("sale_id") if isinstance(item, dict) else None
    sale_id = given.strip().lower() if isinstance(given, str) else None
    try:
        body = _sale_body(item)
        sale_id = _sale_id(given)
    except ApiError as error:
        return _refused(sale_id, error)
    if body.account_id in failed_accounts:
        return _failed(sale_id, "Not tried: an earlier sale of this account in the batch failed; it may be retried.")
    db.execute("SAVEPOINT batch_sale")
    try:
        answer, replayed = take_sale(db, program, holder, sale_id, body, flag_transactions_per_day, public_url=public_url)
    except ApiError as error:
        db.execute("ROLLBACK TO SAVEPOINT batch_sale")
        return _refused(sale_id, error)
    except Exception as error:
        db.execute("ROLLBACK TO SAVEPOINT batch_sale")
        # The traceback names code, not data; the sale itself is never logged.
        log.error("unexpected error recording a sale of a batch", exc_info=error)
        failed_accounts.add(body.account_id)
        return _failed(sale_id, "The service failed; the request may be retried.")
    db.execute("RELEASE SAVEPOINT batch_sale")
    return {"sale_id": sale_id, "status": 201, "body": answer.model_dump(mode="json"), "replayed": replayed}


def _sale_body(item: Any) -> SaleRequest:
    """The sale as POST /v1/sales would read its body: the same 422 and the same details."""
    if not isinstance(item, dict):
        raise ApiError(422, "invalid_request", "The request is not of the documented shape.",
                       [ErrorDetail(field="", problem="Input should be an object")])
    fields = {key: value for key, value in item.items() if key != "sale_id"}
    try:
        return SaleRequest.model_validate(fields)
    except ValidationError as error:
        details = validation_details(error.errors(include_input=False))
        raise ApiError(422, "invalid_request", "The request is not of the documented shape.", details) from None


def _sale_id(given: Any) -> str:
    """What the Idempotency-Key header is for a single sale, as the sale's ``sale_id``."""
    if given is None:
        raise ApiError(422, "invalid_request", "Each sale needs a sale_id (a UUID, the sale's id).",
                       [ErrorDetail(field="sale_id", problem="missing")])
    sale_id = sales.canonical_sale_id(given) if isinstance(given, str) else None
    if sale_id is None:
        raise ApiError(422, "invalid_request", "The sale_id must be a UUID.",
                       [ErrorDetail(field="sale_id", problem="not a UUID")])
    return sale_id


def _refused(sale_id: str | None, error: ApiError) -> dict[str, Any]:
    body = ErrorResponse(error=ErrorBody(code=error.code, message=error.message, details=error.details))
    return {"sale_id": sale_id, "status": error.status, "body": body.model_dump(), "replayed": False}


def _failed(sale_id: str | None, message: str) -> dict[str, Any]:
    return _refused(sale_id, ApiError(500, "internal_error", message))
