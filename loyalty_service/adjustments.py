"""Manual points adjustments: a manager's PIN, a reason, and an audit row, every time.

``POST /v1/accounts/{account_id}/adjustments`` adds (or takes) points with a ledger row of kind
``adjust`` (which never counts towards a tier), an ``adjustments`` audit row (who: the key's store
and terminal and the manager's name; why; when), and the account's events, all in one
transaction. A balance never goes below zero.

The manager's PIN is checked by the service, never on the till, before ``adjust`` runs
(managers.py: keyed hashes, wrong PINs limited per key and per manager, lockout).
"""

from __future__ import annotations

import secrets

from pydantic import BaseModel, Field, field_validator

from loyalty_service.accounts import points
from loyalty_service.auth import check_binding
from loyalty_service.clock import utc_now
from loyalty_service.database import Connection
from loyalty_service.errors import ApiError
from loyalty_service.events import account_changed
from loyalty_service.program import Program
from loyalty_service.schemas import ErrorDetail, RequestBody
from loyalty_service.terminal_keys import KeyHolder

MAX_POINTS = 100_000
WRONG_PINS_PER_WINDOW = 5  # per key
WRONG_PIN_WINDOW_SECONDS = 300.0


class AdjustmentRequest(RequestBody):
    points: int = Field(ge=-MAX_POINTS, le=MAX_POINTS, description="added (positive) or taken (negative); not 0")
    reason: str = Field(min_length=1, max_length=200)
    manager_pin: str = Field(min_length=4, max_length=12)
    manager_id: str | None = Field(default=None, max_length=64,
                                   description="whose PIN it is: only they are checked, and a wrong PIN counts"
                                               " towards their lockout")
    store_id: str | None = Field(default=None, max_length=64)
    terminal_id: str | None = Field(default=None, max_length=64)

    @field_validator("points")
    @classmethod
    def not_zero(cls, value: int) -> int:
        if value == 0:
            raise ValueError("must not be 0")
        return value


class Adjustment(BaseModel):
    adjustment_id: str
    account_id: str
    points: int
    reason: str
    manager: str
    store_id: str | None
    terminal_id: str | None
    created_at: str
    balance: int


def adjust(
    conn: Connection,
    program: Program,
    account_id: str,
    body: AdjustmentRequest,
    manager: str,
    holder: KeyHolder,
) -> Adjustment:
    """Call inside a write transaction, after the PIN was checked."""
    store_id, terminal_id = check_binding(holder, body.store_id, body.terminal_id)
    if conn.execute("SELECT 1 FROM accounts WHERE account_id = ?", (account_id,)).fetchone() is None:
        raise ApiError(404, "not_found", "There is no such account.")
    before = points(conn, account_id)
    balance = before[0] + body.points
    if body.points < 0 and balance < 0:  # adding to a balance in debt (after a return) is fine
        raise ApiError(422, "insufficient_points", f"The balance is {before[0]}; it cannot go below zero.",
                       [ErrorDetail(field="points", problem="more than the balance")])
    reason = " ".join(body.reason.split())
    if not reason:
        raise ApiError(422, "invalid_request", "A reason is needed.", [ErrorDetail(field="reason", problem="empty")])
    adjustment_id = "adj_" + secrets.token_hex(8)
    stamp = utc_now()
    conn.execute(
        "INSERT INTO adjustments (adjustment_id, account_id, points, reason, manager, store_id, terminal_id,"
        " key_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (adjustment_id, account_id, body.points, reason, manager, store_id, terminal_id, holder.key_id, stamp),
    )
    conn.execute(
        "INSERT INTO ledger (account_id, delta, kind, created_at) VALUES (?, ?, 'adjust', ?)",
        (account_id, body.points, stamp),
    )
    account_changed(conn, program, account_id, before, {
        "cause": "adjustment", "adjustment_id": adjustment_id, "store_id": store_id, "terminal_id": terminal_id,
    })
    return Adjustment(
        adjustment_id=adjustment_id, account_id=account_id, points=body.points, reason=reason, manager=manager,
        store_id=store_id, terminal_id=terminal_id, created_at=stamp, balance=balance,
    )
