"""The FastAPI application: Loyalty API v1 routes over one database (SQLite or PostgreSQL).

Routes are plain functions run in FastAPI's threadpool, each in one worker thread with nothing
else of the request (``in_worker_thread``: its dependencies and its answer are handled on the
event loop, which saves four hand-offs between threads a request). Each borrows its connection
inside its own body (``with store.connection() as db``), never in a dependency: a dependency is
entered in one worker thread and the route runs in another, so a connection taken there would be
held while the request waits for a thread, and under load (more requests than pooled connections)
every thread would wait for a connection held by a request waiting for a thread. Measured on
PostgreSQL before the change: 60 requests at once stalled for the pool's 15 s timeout.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, FastAPI, Header, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from loyalty_service import accounts, activity_flags, adjustments, anonymous_sales, events, managers, orders
from loyalty_service import points_review, presence, privacy, qr_tokens, rate_limit, referral_codes, reservations
from loyalty_service import report_routes, returns, sale_batches, sales, serving, staff
from loyalty_service import digital_receipts, receipt_page
from loyalty_service.auth import check_binding, key_holder, require_hq, require_key, require_till
from loyalty_service.body_limit import BodyLimit
from loyalty_service.clock import utc_now
from loyalty_service.database import Connection, Database, open_database, write_transaction
from loyalty_service.errors import ApiError, install_error_handlers
from loyalty_service.pin_hashes import PinHasher
from loyalty_service.event_watch import EventWatch
from loyalty_service.key_cache import KeyCache
from loyalty_service.postgres_listener import EVENTS_CHANNEL, PostgresListener
from loyalty_service.program import Program
from loyalty_service.sale_recording import take_sale
from loyalty_service.stream_slots import DEFAULT_STREAMS_PER_KEY, SlotStreamingResponse, StreamSlots
from loyalty_service.terminal_keys import KEYS_CHANNEL, KeyHolder, pepper, unbound_keys
from loyalty_service.worker_thread import in_worker_thread
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


# Dependencies are async (they do no I/O), so FastAPI runs them on the event loop rather than
# handing each to a worker thread (worker_thread.py).
async def database(request: Request) -> Database:
    return request.app.state.database


async def program_of(request: Request) -> Program:
    return request.app.state.program


Store = Annotated[Database, Depends(database)]
CurrentProgram = Annotated[Program, Depends(program_of)]
# The router already checks the key; FastAPI runs a dependency once per request.
Holder = Annotated[KeyHolder, Depends(require_key)]


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The error answers a route can give, for /openapi.json (in place of FastAPI's 422 shape)."""
    return {status: {"model": ErrorResponse} for status in (401, *statuses)}


def create_app(
    db: Database | Path | str,
    api_keys: list[str],
    program: Program,
    *,
    unknown_lookups_per_minute: int = 30,
    identify_min_seconds: float = 0.025,
    flag_transactions_per_day: int = activity_flags.DEFAULT_TRANSACTIONS_PER_DAY,
    manager_pins: tuple[tuple[str, str], ...] = (),
    pin_secret: bytes | None = None,
    enrolments_per_minute: int = 20,
    events_keepalive_seconds: float = 15.0,
    events_streams_per_key: int = DEFAULT_STREAMS_PER_KEY,
    stopping: Callable[[], bool] = lambda: False,
    sale_batches_route: bool = True,
    public_url: str | None = None,
    mail_relay: str | None = None,
) -> FastAPI:
    """``db``: a Database whose schema is made (``create_schema``), or a SQLite path or
    ``postgresql://`` URL to open and make it in.
    ``manager_pins``: (name, PIN) pairs kept only in memory, hashed (for demos; ids ``mgr_demo``, ...).
    ``pin_secret``: what stored managers' PIN hashes are keyed with (pin_hashes.py).
    ``events_streams_per_key``: open event streams a key may have (0: no limit).
    ``stopping``: true once the server shuts down, so event streams end.
    ``sale_batches_route``: False serves no ``POST /v1/sales/batch``, as a service from before it
    (for the tills' fallback to single calls).
    ``public_url``: the service's address as customers reach it, for receipt pages' links
    (digital_receipts.py); None: sales' answers carry no link.
    ``mail_relay``: the SMTP relay receipts are e-mailed through, as shown (receipt_mail.py); None: none."""
    if isinstance(db, (Path, str)):
        database = open_database(db)
        database.create_schema()
    else:
        database = db

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        if app.state.listener is not None:
            app.state.listener.close()
        database.close()

    app = FastAPI(
        lifespan=lifespan,
        title="Loyalty API",
        version="1",
        description="The reference loyalty service. Contract: docs/loyalty-api-v1.md.",
        docs_url=None,
        redoc_url=None,
    )
    app.state.database = database
    app.state.api_keys = tuple(key.encode() for key in api_keys)
    app.state.program = program
    app.state.program_info = program.info()
    with database.connection() as conn, write_transaction(conn):
        app.state.key_pepper = pepper(conn)
        referral_codes.give_missing_codes(conn)  # accounts from before codes (referral_codes.py)
    app.state.unbound_keys = unbound_keys(app.state.key_pepper, api_keys)
    app.state.listener = listener = _listener(database, stopping)
    listening = (lambda: listener.listening) if listener is not None else (lambda: False)
    app.state.key_cache = key_cache = KeyCache(database, notified=listening)
    app.state.lookup_misses = rate_limit.SlidingWindow(database, "lookup_misses", unknown_lookups_per_minute, 60.0)
    app.state.wrong_pins = rate_limit.SlidingWindow(
        database, "wrong_pins", adjustments.WRONG_PINS_PER_WINDOW, adjustments.WRONG_PIN_WINDOW_SECONDS
    )
    app.state.enrolments = rate_limit.SlidingWindow(database, "enrolments", enrolments_per_minute, 60.0)
    app.state.identify_min_seconds = identify_min_seconds
    app.state.flag_transactions_per_day = flag_transactions_per_day
    app.state.managers = managers.Managers(PinHasher(pin_secret), manager_pins)
    app.state.events_keepalive_seconds = events_keepalive_seconds
    app.state.stopping = stopping
    app.state.public_url = public_url  # where receipt pages are (digital_receipts.py); None: no links
    app.state.receipt_email = "sending" if mail_relay else "not_configured"
    app.state.open_event_streams = 0  # for tests and operators: streams end when clients go
    app.state.stream_slots = StreamSlots(events_streams_per_key)
    app.state.event_watch = watch = EventWatch(database, stopping, listening=listening)
    if listener is not None:
        listener.on(KEYS_CHANNEL, lambda _key_id: key_cache.cleared())
        listener.on(EVENTS_CHANNEL, lambda _event: watch.notified())
        # Notifications sent while it was away are lost: forget keys, look for events.
        listener.when_connected(lambda: (key_cache.cleared(), watch.notified()))
        listener.start()
    install_error_handlers(app)
    rate_limit.install_handler(app)
    app.include_router(router)
    app.include_router(report_routes.router)
    app.include_router(receipt_page.router)  # GET/POST /r/{token}: no key (receipt_page.py)
    if sale_batches_route:
        app.include_router(batch_router)
    app.add_middleware(BodyLimit, larger={sale_batches.PATH: sale_batches.MAX_BATCH_BODY_BYTES})  # added last, so outermost: before routing, keys and parsing
    return app


def _listener(database: Database, stopping: Callable[[], bool]) -> PostgresListener | None:
    """PostgreSQL's notifications for this process (postgres_listener.py); None on SQLite."""
    if database.dialect != "postgresql":
        return None
    return PostgresListener(database.url, stopping=stopping)  # type: ignore[attr-defined]


router = APIRouter(prefix="/v1", dependencies=[Depends(require_key)])


@router.get("/health", responses=_errors())
@in_worker_thread
def health(store: Store, request: Request) -> Health:
    with store.connection() as db:
        db.execute("SELECT 1").fetchone()
        return Health(status="ok", time=utc_now(), receipt_email=request.app.state.receipt_email)


@router.get("/program", responses=_errors())
async def get_program(request: Request) -> ProgramInfo:
    return request.app.state.program_info  # the programme is fixed while the service runs: made once


@router.get("/catalog", responses=_errors())
@in_worker_thread
def catalog(program: CurrentProgram, store: Store) -> Catalog:
    with store.connection() as db:
        rows = db.execute("SELECT sku, ean, name, category, unit_price FROM products ORDER BY sku").fetchall()
        return Catalog(currency=program.currency, products=[Product(**dict(row)) for row in rows])


@router.post("/identify", responses=_errors(404, 422, 429))
async def identify(
    body: IdentifyRequest, program: CurrentProgram, store: Store, holder: Holder, request: Request
) -> AccountSummary:
    # Known and unknown answers take the same time (a floor), and a key that finds nobody too
    # often is refused for a while (429): phone numbers cannot be enumerated (rate_limit.py). The
    # floor is waited out on the event loop, so an identify waiting for it holds no worker thread.
    require_till(holder)
    started = time.monotonic()
    try:
        misses = request.app.state.lookup_misses
        return await run_in_threadpool(_identify_counted, body, program, store, holder, misses)
    finally:
        floor = request.app.state.identify_min_seconds
        while (rest := floor - (time.monotonic() - started)) > 0:
            await asyncio.sleep(rest)


def _identify_counted(
    body: IdentifyRequest, program: Program, store: Database, holder: KeyHolder, misses: rate_limit.SlidingWindow
) -> AccountSummary:
    with store.connection() as db:
        with misses.counted(holder.key_id, rate_limit.LOOKUPS_SPENT, kept_when="unknown_customer", conn=db):
            return _identify(body, program, db, holder)


def _identify(body: IdentifyRequest, program: Program, db: Connection, holder: KeyHolder) -> AccountSummary:
    if body.method == "qr" and qr_tokens.is_token(body.value):
        # A signed app token is single use: its nonce is recorded in the same transaction.
        with write_transaction(db):
            return _customer_here(db, holder, qr_tokens.identify(db, program, body.value))
    found = accounts.identify(db, program, body.method, body.value)
    if not holder.bound:
        return _customer_here(db, holder, found)
    with write_transaction(db):
        return _customer_here(db, holder, found)


def _customer_here(db: Connection, holder: KeyHolder, summary: AccountSummary) -> AccountSummary:
    """The customer is at this till: it serves them (serving.py), and the answer carries the proof
    (presence.py). Inside a write transaction for a till key."""
    serving.note_serving(db, holder, summary.account_id)
    return summary.model_copy(update={"presence": presence.issue(db, holder, summary.account_id)})


@router.get("/accounts/{account_id}", responses=_errors(404, 422))
@in_worker_thread
def get_account(account_id: str, program: CurrentProgram, store: Store, holder: Holder) -> AccountSummary:
    with store.connection() as db:
        serving.require_serving(db, holder, account_id)  # first: a till learns nothing of others
        return accounts.summary(db, program, account_id)


@router.get("/accounts/{account_id}/sales", responses=_errors(404, 422))
@in_worker_thread
def get_account_sales(
    account_id: str,
    program: CurrentProgram,
    store: Store,
    holder: Holder,
    limit: Annotated[int, Query(ge=1, le=500, description="at most this many, newest first")] = 100,
) -> AccountSales:
    with store.connection() as db:
        serving.require_serving(db, holder, account_id)
        return sales.account_sales(db, program, account_id, limit)


@router.post("/accounts/{account_id}/qr-token", status_code=201, responses=_errors(404, 422))
@in_worker_thread
def issue_qr_token(
    account_id: str, store: Store, holder: Holder,
    body: Annotated[qr_tokens.QrTokenRequest | None, Body()] = None,
) -> qr_tokens.QrToken:
    with store.connection() as db:
        ttl = body.ttl_seconds if body is not None else qr_tokens.DEFAULT_TTL_SECONDS
        with write_transaction(db):
            serving.require_serving(db, holder, account_id)
            return qr_tokens.issue(db, account_id, ttl)


@router.post("/accounts", status_code=201, responses=_errors(403, 409, 422, 429))
@in_worker_thread
def enrol(
    body: EnrolRequest, program: CurrentProgram, store: Store, holder: Holder, request: Request
) -> AccountSummary:
    # A number already enrolled (409) spends the same budget as an identify that finds nobody, so
    # enrolment is no membership oracle once identify is refused (rate_limit.py).
    require_till(holder)
    store_id, terminal_id = check_binding(holder, body.store_id, body.terminal_id)
    body = body.model_copy(update={"store_id": store_id, "terminal_id": terminal_id})
    state = request.app.state
    with store.connection() as db:
        state.enrolments.take(holder.key_id, "Too many enrolments from this till; wait before trying again.", db)
        # So does a referral code nobody has (codes are not walked), or the phone's own (no oracle of
        # whose code it is): referral_codes.py.
        spent = ("already_enrolled", "unknown_referral_code", "referral_own_phone")
        with state.lookup_misses.counted(holder.key_id, rate_limit.LOOKUPS_SPENT, kept_when=spent,
                                         conn=db), write_transaction(db):
            summary = accounts.enrol(db, program, body)
            events.record_event(db, summary.account_id, "enrolled", {
                "balance": summary.balance, "tier": summary.tier.name, "store_id": store_id, "terminal_id": terminal_id,
            })
            return _customer_here(db, holder, summary)


@router.post("/quote", responses=_errors(404, 422))
@in_worker_thread
def quote(body: QuoteRequest, program: CurrentProgram, store: Store, holder: Holder) -> Quote:
    require_till(holder)
    with store.connection() as db:
        return sales.quote(db, program, body)


@router.post("/sales", status_code=201, responses=_errors(403, 404, 409, 422))
@in_worker_thread
def record_sale(
    body: SaleRequest,
    program: CurrentProgram,
    response: Response,
    store: Store,
    holder: Holder,
    request: Request,
    idempotency_key: Annotated[str | None, Header(description="a UUID: the sale's id")] = None,
) -> Sale:
    require_till(holder)
    with store.connection() as db:
        sale_id = sales.sale_id_from_key(idempotency_key)
        check_binding(holder, body.store_id, body.terminal_id)  # before the write lock is taken
        with write_transaction(db):
            answer, replayed = take_sale(db, program, holder, sale_id, body, request.app.state.flag_transactions_per_day,
                                         public_url=request.app.state.public_url)
        if answer.digital_receipt is not None and answer.digital_receipt.emailed_to and not replayed:
            digital_receipts.mail_queued.set()  # committed: this process's sender sends it now
        if replayed:
            response.headers["Idempotent-Replayed"] = "true"
        return answer


@router.post("/anonymous-sales", status_code=201, responses=_errors(403, 409, 422))
@in_worker_thread
def record_anonymous_sale(
    body: anonymous_sales.AnonymousSaleRequest,
    program: CurrentProgram,
    response: Response,
    store: Store,
    holder: Holder,
    idempotency_key: Annotated[str | None, Header(description="a UUID: the sale's id")] = None,
) -> anonymous_sales.AnonymousSale:
    """A sale without a member, counted and never credited (anonymous_sales.py)."""
    require_till(holder)
    with store.connection() as db:
        sale_id = sales.sale_id_from_key(idempotency_key)
        check_binding(holder, body.store_id, body.terminal_id)
        with write_transaction(db):
            answer, replayed = anonymous_sales.record(db, program, sale_id, body)
        if replayed:
            response.headers["Idempotent-Replayed"] = "true"
        return answer


batch_router = APIRouter(prefix="/v1", dependencies=[Depends(require_key)])


@batch_router.post(
    "/sales/batch",
    response_model=sale_batches.SaleBatch,
    responses=_errors(403, 413, 422),
    openapi_extra={"requestBody": {
        "required": True, "content": {"application/json": {"schema": sale_batches.request_schema()}},
    }},
)
async def record_sales(program: CurrentProgram, holder: Holder, request: Request) -> JSONResponse:
    """Up to 100 sales, each answered as POST /v1/sales would answer it (sale_batches.py)."""
    require_till(holder)
    raw = await request.body()  # read only now, after the key: the batch's body limit is large
    state = request.app.state
    results = await run_in_threadpool(
        sale_batches.record_batch, state.database, program, holder, raw, state.flag_transactions_per_day,
        state.public_url,
    )
    digital_receipts.mail_queued.set()
    return JSONResponse({"results": results})


@router.get("/sales/{sale_id}", responses=_errors(404, 422))
@in_worker_thread
def get_sale(sale_id: str, store: Store, holder: Holder, program: CurrentProgram, request: Request) -> Sale:
    with store.connection() as db:
        sale = sales.get_sale(db, sale_id)
        _same_store(holder, program, sale.store_id)
        receipt = digital_receipts.answer_for(db, sale.sale_id, request.app.state.public_url)
        return sale.model_copy(update={"digital_receipt": receipt})


def _same_store(holder: KeyHolder, program: Program, store_id: str) -> None:
    """A till key knows only its own store's sales (404, as if unknown), unless the programme
    takes returns in any store (``returns_any_store``), where the receipt's sale id is enough."""
    if holder.bound and store_id != holder.store_id and not program.returns_any_store:
        raise ApiError(404, "not_found", "There is no such sale.")


@router.post("/accounts/{account_id}/adjustments", status_code=201, responses=_errors(403, 404, 422, 429))
@in_worker_thread
def adjust_points(
    account_id: str, body: adjustments.AdjustmentRequest, program: CurrentProgram, store: Store, holder: Holder,
    request: Request,
) -> adjustments.Adjustment:
    require_till(holder)
    state = request.app.state
    with store.connection() as db:
        serving.require_serving(db, holder, account_id)
    manager = state.managers.authorise(store, state.wrong_pins, holder.key_id, body.manager_id, body.manager_pin)
    with store.connection() as db:
        with write_transaction(db):
            answer = adjustments.adjust(db, program, account_id, body, manager, holder)
            activity_flags.note_transaction(db, account_id, state.flag_transactions_per_day)
        return answer


@router.post("/managers/{manager_id}/unlock", responses=_errors(403, 404, 422))
@in_worker_thread
def unlock_manager(manager_id: str, store: Store, holder: Holder, request: Request) -> managers.Unlocked:
    require_hq(holder)
    with store.connection() as db, write_transaction(db):
        unlocked = request.app.state.managers.unlock(db, manager_id)
    if unlocked is None:
        raise ApiError(404, "not_found", "There is no such manager.")
    return unlocked


# -- cashiers (staff.py) ----------------------------------------------------------------------------


@router.post("/staff/sign-on", responses=_errors(403, 422, 429))
@in_worker_thread
def sign_on_staff(body: staff.SignOnRequest, store: Store, holder: Holder, request: Request) -> staff.StaffMember:
    require_till(holder)
    state = request.app.state
    return staff.sign_on(store, state.managers.hasher, state.wrong_pins, holder.key_id, body)


@router.get("/staff", responses=_errors(403))
@in_worker_thread
def list_staff(store: Store, holder: Holder) -> staff.StaffList:
    require_hq(holder)
    with store.connection() as db:
        return staff.listed(db)


@router.post("/staff", status_code=201, responses=_errors(403, 409, 422))
@in_worker_thread
def add_staff(body: staff.NewStaffRequest, store: Store, holder: Holder, request: Request) -> staff.StaffMember:
    require_hq(holder)
    return staff.add_from_api(store, request.app.state.managers.hasher, body)


@router.post("/staff/{staff_id}/{action}", responses=_errors(403, 404, 422))
@in_worker_thread
def change_staff(staff_id: str, action: Literal["disable", "unlock"], store: Store, holder: Holder) -> staff.StaffList:
    """The cashier disabled (they sign on no more) or freed from a lockout; the answer lists them."""
    require_hq(holder)
    with store.connection() as db:
        with write_transaction(db):
            done = staff.disable(db, staff_id) if action == "disable" else staff.unlock(db, staff_id)
        if not done:
            raise ApiError(404, "not_found", "There is no such cashier.")
        return staff.StaffList(staff=[s for s in staff.listed(db).staff if s.staff_id == staff_id])


@router.get("/flags", responses=_errors(422))
@in_worker_thread
def get_flags(
    store: Store,
    holder: Holder,
    day: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$", description="a UTC date")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> activity_flags.Flags:
    require_hq(holder)
    with store.connection() as db:
        flags = activity_flags.list_flags(db, day, limit)
        return flags.model_copy(update={"held_points": points_review.waiting(db, limit)})


@router.post("/held-points/{sale_id}/{decision}", responses=_errors(403, 404, 409, 422))
@in_worker_thread
def decide_held_points(
    sale_id: str, decision: Literal["release", "reverse"], program: CurrentProgram, store: Store, holder: Holder
) -> points_review.HeldPoints:
    require_hq(holder)
    with store.connection() as db, write_transaction(db):
        return points_review.decide(db, program, sale_id, decision + "d", holder)


@router.get(
    "/events",
    response_class=StreamingResponse,
    responses={**_errors(404, 422, 429), 200: {"content": {"text/event-stream": {}}, "description": "server-sent events"}},
)
async def follow_events(
    request: Request,
    account_id: Annotated[str | None, Query(max_length=64, description="follow one account; all when left out")] = None,
    last_event_id: Annotated[str | None, Header(description="resume after this event")] = None,
) -> StreamingResponse:
    state = request.app.state
    holder = key_holder(request)
    if holder.bound and account_id is None:
        raise ApiError(403, "hq_only", "A till follows the customers it serves: name the account_id.")
    serving_ends = None
    if holder.bound and account_id is not None:
        serving_ends = await asyncio.to_thread(_require_serving, state.database, holder, account_id)
    after = events.parse_last_event_id(last_event_id, account_id)
    start = await asyncio.to_thread(events.latest, state.database, account_id)
    if start is None:
        raise ApiError(404, "not_found", "There is no such account.")
    slot = state.stream_slots.take(holder.key_id)  # 429 too_many_streams

    async def body() -> AsyncIterator[str]:
        nonlocal serving_ends
        state.open_event_streams += 1
        try:
            async for frame in events.stream(
                state.database, account_id, after or start, watch=state.event_watch,
                disconnected=request.is_disconnected, stopping=state.stopping,
                keepalive_seconds=state.events_keepalive_seconds,
            ):
                if serving_ends is not None and (serving.now() >= serving_ends or frame.startswith(":")):
                    # At its window's end, and on each keep-alive (a reservation released, the
                    # window ended early), the stream asks again: served still, it goes on; else it
                    # ends, and a reconnect is 403 not_serving.
                    serving_ends = await asyncio.to_thread(_serving_ends, state.database, holder, account_id)
                    if serving_ends is None:
                        return
                yield frame
        finally:
            state.open_event_streams -= 1

    return SlotStreamingResponse(
        body(), slot=slot, media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


# -- rewards reserved, then redeemed (reservations.py) ---------------------------------------------


@router.post("/reservations", status_code=201, responses=_errors(403, 404, 422))
@in_worker_thread
def reserve_rewards(
    body: reservations.ReservationRequest, program: CurrentProgram, store: Store, holder: Holder
) -> reservations.Reservation:
    require_till(holder)
    with store.connection() as db:
        check_binding(holder, body.store_id, body.terminal_id)
        with write_transaction(db):  # BEGIN IMMEDIATE: two tills racing for the same points, one wins
            presence.require_for_reservation(db, holder, body.account_id, body.presence)
            return reservations.reserve(db, program, body)


@router.get("/reservations/{reservation_id}", responses=_errors(404, 422))
@in_worker_thread
def get_reservation(reservation_id: str, store: Store, holder: Holder) -> reservations.Reservation:
    with store.connection() as db:
        _own_reservation(db, holder, reservation_id)
        return reservations.get(db, reservation_id)


@router.delete("/reservations/{reservation_id}", responses=_errors(404, 422))
@in_worker_thread
def release_reservation(reservation_id: str, store: Store, holder: Holder) -> reservations.Reservation:
    with store.connection() as db:
        with write_transaction(db):
            _own_reservation(db, holder, reservation_id)
            return reservations.release(db, reservation_id)


def _own_reservation(db: Connection, holder: KeyHolder, reservation_id: str) -> None:
    """A till key sees and releases only its own till's reservations (404 for another's)."""
    if not holder.bound:
        return
    row = db.execute("SELECT store_id, terminal_id FROM reservations WHERE reservation_id = ?",
                     (reservation_id,)).fetchone()
    if row is None or (row["store_id"], row["terminal_id"]) != (holder.store_id, holder.terminal_id):
        raise ApiError(404, "not_found", "There is no such reservation.")


# -- returns (returns.py) ---------------------------------------------------------------------------


@router.post("/sales/{sale_id}/returns", status_code=201, responses=_errors(403, 404, 409, 422, 429))
@in_worker_thread
def return_items(
    sale_id: str,
    program: CurrentProgram,
    response: Response,
    store: Store,
    holder: Holder,
    request: Request,
    body: Annotated[returns.ReturnRequest | None, Body()] = None,
    idempotency_key: Annotated[str | None, Header(description="a UUID: the return's id")] = None,
) -> returns.SaleReturn:
    require_till(holder)
    with store.connection() as db:
        return_id = returns.return_id_from_key(idempotency_key)
        _same_store(holder, program, sales.get_sale(db, sale_id).store_id)
        body = body or returns.ReturnRequest()
        store_id, terminal_id = check_binding(holder, body.store_id, body.terminal_id)
        body = body.model_copy(update={"store_id": store_id, "terminal_id": terminal_id})
        manager = None
        if reason := returns.approval_needed(db, program, return_id, sale_id, body):
            state = request.app.state
            manager = returns.check_manager(store, state.managers, state.wrong_pins, holder.key_id, body, reason)
        with write_transaction(db):
            answer, replayed = returns.record_return(db, program, return_id, sale_id, body, manager)
        if replayed:
            response.headers["Idempotent-Replayed"] = "true"
        return answer


@router.get("/sales/{sale_id}/returns", responses=_errors(404, 422))
@in_worker_thread
def get_sale_returns(sale_id: str, store: Store, holder: Holder, program: CurrentProgram) -> returns.SaleReturns:
    with store.connection() as db:
        _same_store(holder, program, sales.get_sale(db, sale_id).store_id)
        return returns.sale_returns(db, program, sale_id)


# -- click & collect (orders.py) ---------------------------------------------------------------------


def _require_shop(holder: KeyHolder) -> None:
    if holder.role != "web" and not holder.hq:
        raise ApiError(403, "web_only", "Only an online shop's key (or head office's) may post orders.")


@router.post("/orders", status_code=201, responses=_errors(403, 404, 409, 422))
@in_worker_thread
def place_order(
    body: orders.OrderRequest, program: CurrentProgram, response: Response, store: Store, holder: Holder
) -> orders.Order:
    _require_shop(holder)
    with store.connection() as db, write_transaction(db):
        answer, replayed = orders.place_order(db, program, body)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return answer


@router.get("/orders/{order_id}", responses=_errors(403, 404, 422))
@in_worker_thread
def get_order(order_id: str, store: Store, holder: Holder) -> orders.Order:
    _require_shop(holder)
    with store.connection() as db:
        return orders.get_order(db, order_id)


@router.post("/orders/lookup", responses=_errors(403, 404, 422, 429))
@in_worker_thread
def look_up_order(
    body: orders.LookupRequest, program: CurrentProgram, store: Store, holder: Holder, request: Request
) -> orders.OrderAtTill:
    # Counted with identify's misses: a till that keeps naming unknown codes is refused for a while.
    require_till(holder)
    misses = request.app.state.lookup_misses
    with store.connection() as db:
        with misses.counted(holder.key_id, rate_limit.LOOKUPS_SPENT, kept_when="not_found", conn=db):
            with write_transaction(db):  # the till serves the order's customer from now (serving.py)
                found = orders.look_up(db, program, holder, body.pickup_code)
                return found.model_copy(update={"customer": _customer_here(db, holder, found.customer)})


@router.post("/orders/{order_id}/pickup", responses=_errors(403, 404, 422))
@in_worker_thread
def pick_up_order(
    order_id: str, body: orders.PickupRequest, program: CurrentProgram, response: Response, store: Store, holder: Holder
) -> orders.Pickup:
    require_till(holder)
    _, terminal_id = check_binding(holder, body.store_id, body.terminal_id)
    with store.connection() as db, write_transaction(db):
        answer, replayed = orders.pick_up(db, program, holder, order_id, body, terminal_id or "till")
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return answer


def _require_serving(database: Database, holder: KeyHolder, account_id: str) -> int:
    """Until when (Unix seconds) the till serves the customer; 403 not_serving when it does not."""
    until = _serving_ends(database, holder, account_id)
    if until is None:
        raise serving.not_serving()
    return until


def _serving_ends(database: Database, holder: KeyHolder, account_id: str) -> int | None:
    with database.connection() as db:
        return serving.serving_until(db, holder, account_id)


# -- customers' data (privacy.py) --------------------------------------------------------------------


@router.get("/accounts/{account_id}/export", responses=_errors(403, 404, 422))
@in_worker_thread
def export_account(account_id: str, program: CurrentProgram, store: Store, holder: Holder) -> dict[str, Any]:
    require_hq(holder)
    with store.connection() as db:
        return privacy.export(db, program, account_id)


@router.post("/accounts/{account_id}/erase", responses=_errors(403, 404, 422))
@in_worker_thread
def erase_account(account_id: str, store: Store, holder: Holder) -> privacy.Erasure:
    require_hq(holder)
    with store.connection() as db:
        with write_transaction(db):
            erased = privacy.erase(db, account_id)
        privacy.drop_old_copies(db)
        return erased


@router.post("/accounts/{account_id}/withdraw-marketing", responses=_errors(403, 404, 422))
@in_worker_thread
def withdraw_marketing(
    account_id: str, program: CurrentProgram, store: Store, holder: Holder,
    body: Annotated[privacy.WhereRequest | None, Body()] = None,
) -> privacy.Consent:
    # A till's key for the customer it serves (its own store and terminal), HQ's when the customer
    # writes in (recorded as terminal "hq" unless the body names one).
    body = body or privacy.WhereRequest()
    store_id, terminal_id = check_binding(holder, body.store_id, body.terminal_id)
    if holder.role == "hq" and terminal_id is None:
        terminal_id = "hq"
    with store.connection() as db, write_transaction(db):
        serving.require_serving(db, holder, account_id)
        return privacy.withdraw_marketing(db, program, account_id, store_id, terminal_id)
