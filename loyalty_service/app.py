"""The FastAPI application: Loyalty API v1 routes over one SQLite file.

Routes are plain functions, so FastAPI runs them in its threadpool, each with its own connection.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, FastAPI, Header, Query, Request, Response

from loyalty_service import accounts, qr_tokens, sales
from loyalty_service.auth import require_key
from loyalty_service.clock import utc_now
from loyalty_service.database import connect, create_schema, write_transaction
from loyalty_service.errors import install_error_handlers
from loyalty_service.program import Program
from loyalty_service.schemas import (
    AccountSales,
    AccountSummary,
    Catalog,
    EnrolRequest,
    ErrorResponse,
    Health,
    IdentifyRequest,
    Product,
    ProgramInfo,
    Quote,
    QuoteRequest,
    Sale,
    SaleRequest,
)


def database(request: Request) -> Iterator[sqlite3.Connection]:
    conn = connect(request.app.state.db_path)
    try:
        yield conn
    finally:
        conn.close()


def program_of(request: Request) -> Program:
    return request.app.state.program


Db = Annotated[sqlite3.Connection, Depends(database)]
CurrentProgram = Annotated[Program, Depends(program_of)]


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The error answers a route can give, for /openapi.json (in place of FastAPI's 422 shape)."""
    return {status: {"model": ErrorResponse} for status in (401, *statuses)}


def create_app(db_path: Path, api_keys: list[str], program: Program) -> FastAPI:
    create_schema(db_path)
    app = FastAPI(
        title="Loyalty API",
        version="1",
        description="The reference loyalty service. Contract: docs/loyalty-api-v1.md.",
        docs_url=None,
        redoc_url=None,
    )
    app.state.db_path = db_path
    app.state.api_keys = tuple(key.encode() for key in api_keys)
    app.state.program = program
    install_error_handlers(app)
    app.include_router(router)
    return app


router = APIRouter(prefix="/v1", dependencies=[Depends(require_key)])


@router.get("/health", responses=_errors())
def health(db: Db) -> Health:
    db.execute("SELECT 1").fetchone()
    return Health(status="ok", time=utc_now())


@router.get("/program", responses=_errors())
def get_program(program: CurrentProgram) -> ProgramInfo:
    return program.info()


@router.get("/catalog", responses=_errors())
def catalog(program: CurrentProgram, db: Db) -> Catalog:
    rows = db.execute("SELECT sku, ean, name, category, unit_price FROM products ORDER BY sku").fetchall()
    return Catalog(currency=program.currency, products=[Product(**dict(row)) for row in rows])


@router.post("/identify", responses=_errors(404, 422))
def identify(body: IdentifyRequest, program: CurrentProgram, db: Db) -> AccountSummary:
    if body.method == "qr" and qr_tokens.is_token(body.value):
        # A signed app token is single use: its nonce is recorded in the same transaction.
        with write_transaction(db):
            return qr_tokens.identify(db, program, body.value)
    return accounts.identify(db, program, body.method, body.value)


@router.get("/accounts/{account_id}", responses=_errors(404, 422))
def get_account(account_id: str, program: CurrentProgram, db: Db) -> AccountSummary:
    return accounts.summary(db, program, account_id)


@router.get("/accounts/{account_id}/sales", responses=_errors(404, 422))
def get_account_sales(
    account_id: str,
    program: CurrentProgram,
    db: Db,
    limit: Annotated[int, Query(ge=1, le=500, description="at most this many, newest first")] = 100,
) -> AccountSales:
    return sales.account_sales(db, program, account_id, limit)


@router.post("/accounts/{account_id}/qr-token", status_code=201, responses=_errors(404, 422))
def issue_qr_token(
    account_id: str, db: Db, body: Annotated[qr_tokens.QrTokenRequest | None, Body()] = None
) -> qr_tokens.QrToken:
    ttl = body.ttl_seconds if body is not None else qr_tokens.DEFAULT_TTL_SECONDS
    with write_transaction(db):
        return qr_tokens.issue(db, account_id, ttl)


@router.post("/accounts", status_code=201, responses=_errors(409, 422))
def enrol(body: EnrolRequest, program: CurrentProgram, db: Db) -> AccountSummary:
    with write_transaction(db):
        return accounts.enrol(db, program, body)


@router.post("/quote", responses=_errors(404, 422))
def quote(body: QuoteRequest, program: CurrentProgram, db: Db) -> Quote:
    return sales.quote(db, program, body)


@router.post("/sales", status_code=201, responses=_errors(404, 409, 422))
def record_sale(
    body: SaleRequest,
    program: CurrentProgram,
    response: Response,
    db: Db,
    idempotency_key: Annotated[str | None, Header(description="a UUID: the sale's id")] = None,
) -> Sale:
    sale_id = sales.sale_id_from_key(idempotency_key)
    with write_transaction(db):
        answer, replayed = sales.record_sale(db, program, sale_id, body)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return answer


@router.get("/sales/{sale_id}", responses=_errors(404, 422))
def get_sale(sale_id: str, db: Db) -> Sale:
    return sales.get_sale(db, sale_id)
