"""The FastAPI application: Loyalty API v1 routes over one SQLite file."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Header, Request, Response

from loyalty_service import accounts, sales
from loyalty_service.auth import require_key
from loyalty_service.database import connect, create_schema, write_transaction
from loyalty_service.errors import install_error_handlers
from loyalty_service.program import Program
from loyalty_service.schemas import EnrolRequest, IdentifyRequest, QuoteRequest, SaleRequest


def database(request: Request) -> Iterator[sqlite3.Connection]:
    conn = connect(request.app.state.db_path)
    try:
        yield conn
    finally:
        conn.close()


Db = Annotated[sqlite3.Connection, Depends(database)]


def program_of(request: Request) -> Program:
    return request.app.state.program


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


@router.get("/health")
def health(db: Db) -> dict[str, Any]:
    db.execute("SELECT 1").fetchone()
    return {"status": "ok", "time": accounts.now()}


@router.get("/program")
def get_program(request: Request) -> dict[str, Any]:
    return program_of(request).to_json()


@router.get("/catalog")
def catalog(request: Request, db: Db) -> dict[str, Any]:
    rows = db.execute("SELECT sku, ean, name, category, unit_price FROM products ORDER BY sku").fetchall()
    return {"currency": program_of(request).currency, "products": [dict(row) for row in rows]}


@router.post("/identify")
def identify(body: IdentifyRequest, request: Request, db: Db) -> dict[str, Any]:
    return accounts.identify(db, program_of(request), body.method, body.value)


@router.get("/accounts/{account_id}")
def get_account(account_id: str, request: Request, db: Db) -> dict[str, Any]:
    return accounts.summary(db, program_of(request), account_id)


@router.post("/accounts", status_code=201)
def enrol(body: EnrolRequest, request: Request, db: Db) -> dict[str, Any]:
    with write_transaction(db):
        return accounts.enrol(db, program_of(request), body)


@router.post("/quote")
def quote(body: QuoteRequest, request: Request, db: Db) -> dict[str, Any]:
    return sales.quote(db, program_of(request), body)


@router.post("/sales", status_code=201)
def record_sale(
    body: SaleRequest,
    request: Request,
    response: Response,
    db: Db,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    sale_id = sales.check_key(idempotency_key)
    with write_transaction(db):
        answer, replayed = sales.record_sale(db, program_of(request), sale_id, body)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return answer


@router.get("/sales/{sale_id}")
def get_sale(sale_id: str, db: Db) -> dict[str, Any]:
    return sales.get_sale(db, sale_id)
