"""Click & collect: orders an online shop posts, looked up at the till by their pickup code and
collected there. An order earns once, at the one moment its programme named when it was placed.

The rules (docs/loyalty-api-v1.md, "Click & collect"), stated once:

- **Once per order id**: ``POST /v1/orders`` is idempotent on the shop's own ``order_id``: the same
  body again is answered as recorded; another body under the same id is ``409 idempotency_conflict``.
- **One moment**: the programme's ``click_and_collect_points`` (``at_order`` or ``at_pickup``) is
  read when the order is placed and kept with it (``points_at``). A change of the setting later
  applies to orders placed after it: an order placed under ``at_order`` earned then and earns
  nothing at pickup; one placed under ``at_pickup`` earns at pickup even if the setting now says
  ``at_order``. So no order earns twice, and none never.
- **The same rules as a sale**: the points are a sale recorded by ``sales.record_sale`` (its id
  ``order_sale_id(order_id)``, fixed, so even a replay the orders table missed cannot earn again),
  paid by card with the order's paid total, in the pickup store: promotions, tiers, the review
  hold and the ledger are a sale's. It is returned at the till like any sale, with its sale id.
- **Pickup** (``POST /v1/orders/{order_id}/pickup``): a till of the pickup store only, with the
  pickup code; idempotent: a second pickup is answered as the first was, and credits nothing.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from typing import Any

from pydantic import BaseModel, Field

from loyalty_service import sales
from loyalty_service.accounts import member_points, points, summary
from loyalty_service.clock import utc_now
from loyalty_service.database import Connection
from loyalty_service.errors import ApiError
from loyalty_service.program import Program
from loyalty_service.schemas import MAX_SALE_LINES, AccountSummary, ErrorDetail, RequestBody, SaleLine, SaleRequest, TenderLine
from loyalty_service.terminal_keys import KeyHolder

PICKUP_PREFIX = "ORD-"
# Crockford's base32 (no I, L, O, U): 20 characters are 100 random bits, read aloud or typed safely.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PICKUP_CODE_LENGTH = 20
# The terminal an order that earns when placed is recorded at: the web shop, not a till.
WEB_TERMINAL = "web-shop"
_ORDER_SALES = uuid.UUID("6f1d3f0e-6a55-4d0c-9d1e-0c11ec7c0de5")
# What a web key (``add-key --role web``) may call: posting orders and reading them back.
WEB_ROUTES = frozenset({("POST", "/v1/orders"), ("GET", "/v1/orders/{order_id}")})


class OrderRequest(RequestBody):
    order_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-]*$",
                          description="the shop's own order id")
    account_id: str = Field(max_length=64)
    store_id: str = Field(min_length=1, max_length=64, description="the store it is collected at")
    currency: str = Field(min_length=3, max_length=3)
    lines: list[SaleLine] = Field(min_length=1, max_length=MAX_SALE_LINES)
    paid_total: int = Field(ge=0, le=10**11, description="minor units: what the customer paid online")


class PickupRequest(RequestBody):
    pickup_code: str = Field(min_length=1, max_length=64)
    store_id: str | None = Field(default=None, max_length=64)
    terminal_id: str | None = Field(default=None, max_length=64)


class LookupRequest(RequestBody):
    pickup_code: str = Field(min_length=1, max_length=64)


class Order(BaseModel):
    order_id: str
    account_id: str
    store_id: str
    currency: str
    lines: list[SaleLine]
    paid_total: int
    pickup_code: str
    status: str = Field(description="open or collected")
    points_at: str = Field(description="at_order or at_pickup: when this order earns, fixed when it was placed")
    points_earned: int | None = Field(description="None until the order has earned")
    sale_id: str | None = Field(description="the sale its points were recorded with: returns name it")
    created_at: str
    collected_at: str | None = None
    collected_terminal_id: str | None = None
    lines_removed: str | None = Field(default=None, description="pruned or erased once the lines are no longer kept")


class OrderAtTill(BaseModel):
    """What a till is shown for a pickup code: the order and its customer (now served by the till)."""

    order: Order
    customer: AccountSummary


class Pickup(BaseModel):
    order: Order
    points_credited: int = Field(description="points this pickup credited (0 for an order that earned when placed)")
    balance: int = Field(description="the customer's balance just after the pickup")


def order_sale_id(order_id: str) -> str:
    """The id of the sale an order's points are recorded with: the same for every retry."""
    return str(uuid.uuid5(_ORDER_SALES, "order:" + order_id))


def new_pickup_code() -> str:
    return PICKUP_PREFIX + "".join(secrets.choice(_ALPHABET) for _ in range(PICKUP_CODE_LENGTH))


def normal_pickup_code(text: str) -> str:
    return text.strip().upper()


def _hash(body: OrderRequest) -> str:
    canonical = json.dumps(body.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _earn(conn: Connection, program: Program, body: OrderRequest, terminal_id: str) -> int:
    """Record the order's points as a sale (the sale rules, once per order); the points credited
    (a sale earning more than the review limit is held, as at a till: points_review.py)."""
    tender = [TenderLine(method="card", amount=body.paid_total)] if body.paid_total else []
    sale = SaleRequest(account_id=body.account_id, store_id=body.store_id, terminal_id=terminal_id,
                       currency=body.currency, lines=body.lines, tender=tender)
    answer, _ = sales.record_sale(conn, program, order_sale_id(body.order_id), sale)
    return answer.points_earned - answer.points_held_for_review


def _check_total(program: Program, body: OrderRequest) -> None:
    if body.currency != program.currency:
        raise ApiError(422, "currency_mismatch", f"This programme runs in {program.currency}.",
                       [ErrorDetail(field="currency", problem=f"must be {program.currency}")])
    subtotal = sum(line.quantity * line.unit_price for line in body.lines)
    if body.paid_total != subtotal:
        raise ApiError(422, "paid_total_mismatch", f"The lines come to {subtotal}; the paid total says {body.paid_total}.",
                       [ErrorDetail(field="paid_total", problem="must equal the lines' total")])


def place_order(conn: Connection, program: Program, body: OrderRequest) -> tuple[Order, bool]:
    """(the order, whether it is a replay). Call inside a write transaction."""
    digest = _hash(body)
    row = conn.execute("SELECT * FROM orders WHERE order_id = ?", (body.order_id,)).fetchone()
    if row is not None:
        if row["request_hash"] != digest:
            raise ApiError(409, "idempotency_conflict", "This order id was used for another order.")
        return _order(conn, row), True
    _check_total(program, body)
    if member_points(conn, body.account_id) is None:  # none, or erased (privacy.py)
        raise ApiError(404, "not_found", "There is no such account.")
    points_at = program.click_and_collect_points
    sale_id = None
    if points_at == "at_order":
        _earn(conn, program, body, WEB_TERMINAL)
        sale_id = order_sale_id(body.order_id)
    conn.execute(
        "INSERT INTO orders (order_id, request_hash, pickup_code, account_id, store_id, points_at, status, body,"
        " sale_id, created_at) VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?, ?)",
        (body.order_id, digest, new_pickup_code(), body.account_id, body.store_id, points_at,
         body.model_dump_json(), sale_id, utc_now()),
    )
    return get_order(conn, body.order_id), False


def _order(conn: Connection, row: Any) -> Order:
    # The body as posted, less its lines once the customer was erased (``erase_lines``).
    body = json.loads(row["body"])
    sale_id = row["sale_id"]
    earned = sales.get_sale(conn, sale_id).points_earned if sale_id is not None else None
    return Order.model_validate({
        **{key: body[key] for key in ("order_id", "account_id", "store_id", "currency", "lines", "paid_total")},
        "pickup_code": row["pickup_code"], "status": row["status"], "points_at": row["points_at"],
        "points_earned": earned, "sale_id": sale_id, "created_at": row["created_at"],
        "collected_at": row["collected_at"], "collected_terminal_id": row["collected_terminal_id"],
        "lines_removed": row["lines_stripped"],
    })


def erase_lines(conn: Connection, account_id: str) -> int:
    """What was ordered goes with the customer's data (privacy.py): each order of theirs keeps its
    totals, status and points, not its lines. How many orders lost them. Call inside a write
    transaction."""
    rows = conn.execute("SELECT order_id, body, pickup_answer FROM orders WHERE account_id = ?", (account_id,)).fetchall()
    for row in rows:
        _strip_lines(conn, row, "erased")
    return len(rows)


def prune_lines(conn: Connection, cutoff: str, limit: int) -> int:
    """Remove the lines of up to ``limit`` orders placed before ``cutoff`` (sale_line_retention.py,
    as for sales); how many. Call inside a write transaction."""
    rows = conn.execute(
        "SELECT order_id, body, pickup_answer FROM orders WHERE created_at < ? AND lines_stripped IS NULL LIMIT ?",
        (cutoff, limit),
    ).fetchall()
    for row in rows:
        _strip_lines(conn, row, "pruned")
    return len(rows)


def _strip_lines(conn: Connection, row: Any, why: str) -> None:
    body = json.loads(row["body"]) | {"lines": []}
    answer = row["pickup_answer"]
    if answer is not None:
        given = json.loads(answer)
        given["order"] |= {"lines": [], "lines_removed": why}
        answer = json.dumps(given, separators=(",", ":"))
    conn.execute("UPDATE orders SET body = ?, pickup_answer = ?, lines_stripped = ? WHERE order_id = ?",
                 (json.dumps(body, separators=(",", ":")), answer, why, row["order_id"]))


def get_order(conn: Connection, order_id: str) -> Order:
    row = conn.execute("SELECT * FROM orders WHERE order_id = ?", (order_id,)).fetchone()
    if row is None:
        raise ApiError(404, "not_found", "There is no such order.")
    return _order(conn, row)


def _for_this_store(holder: KeyHolder, store_id: str) -> None:
    if holder.bound and holder.store_id != store_id:
        raise ApiError(403, "wrong_store", f"This order is collected at another store ({store_id}).")


def look_up(conn: Connection, program: Program, holder: KeyHolder, code: str) -> OrderAtTill:
    """The order a pickup code names, for a till of its store only."""
    row = conn.execute("SELECT * FROM orders WHERE pickup_code = ?", (normal_pickup_code(code),)).fetchone()
    if row is None:
        raise ApiError(404, "not_found", "There is no order with that pickup code.")
    _for_this_store(holder, row["store_id"])
    return OrderAtTill(order=_order(conn, row), customer=summary(conn, program, row["account_id"]))


def pick_up(
    conn: Connection, program: Program, holder: KeyHolder, order_id: str, body: PickupRequest, terminal_id: str
) -> tuple[Pickup, bool]:
    """(the pickup, whether it is a replay). Call inside a write transaction. The order earns now
    only when it was placed under ``at_pickup``; a second pickup is answered as the first."""
    row = conn.execute("SELECT * FROM orders WHERE order_id = ?", (order_id,)).fetchone()
    if row is None or row["pickup_code"] != normal_pickup_code(body.pickup_code):
        raise ApiError(404, "not_found", "There is no such order with that pickup code.")
    _for_this_store(holder, row["store_id"])
    if row["status"] == "collected":
        return Pickup.model_validate_json(row["pickup_answer"]), True
    order = OrderRequest.model_validate_json(row["body"])
    credited = 0
    sale_id = row["sale_id"]
    if row["points_at"] == "at_pickup" and sale_id is None:
        credited = _earn(conn, program, order, terminal_id)
        sale_id = order_sale_id(order_id)
    stamp = utc_now()
    conn.execute(
        "UPDATE orders SET status = 'collected', sale_id = ?, collected_at = ?, collected_terminal_id = ?"
        " WHERE order_id = ?", (sale_id, stamp, terminal_id, order_id))
    balance, _ = points(conn, order.account_id)
    answer = Pickup(order=get_order(conn, order_id), points_credited=credited, balance=balance)
    conn.execute("UPDATE orders SET pickup_answer = ? WHERE order_id = ?", (answer.model_dump_json(), order_id))
    return answer, False
