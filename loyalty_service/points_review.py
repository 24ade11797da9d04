"""Points held for review: a sale that earns more than the programme's ``review_points_above`` is
recorded and answered as usual, but its points are kept apart, not credited, until a head-office
key releases them (credited once: a ledger row and the account's events) or reverses them (never
credited). Nothing is lost either way, and each decision says who made it and when.

A return of a sale whose points are held takes its share of points off the hold, not off the
balance, since they were never credited (``reversal_to_ledger``); a reversed hold gives nothing
back to take. A hold already released is returned like any other sale.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from loyalty_service.accounts import points
from loyalty_service.clock import utc_now
from loyalty_service.database import Connection
from loyalty_service.errors import ApiError
from loyalty_service.events import account_changed
from loyalty_service.program import Program
from loyalty_service.terminal_keys import KeyHolder

DECISIONS = ("released", "reversed")


class HeldPoints(BaseModel):
    sale_id: str
    account_id: str
    store_id: str
    terminal_id: str
    points_earned: int = Field(description="what the sale earned")
    points: int = Field(description="held now: points_earned less what returns of the sale took back")
    status: str = Field(description="held, released or reversed")
    held_at: str
    decided_at: str | None = None
    decided_by: str | None = Field(default=None, description="the key id that released or reversed them")


def holds(program: Program, points_earned: int) -> bool:
    """Whether a sale earning this many points has them held for review."""
    return points_earned > program.review_points_above


def hold(conn: Connection, sale_id: str, account_id: str, store_id: str, terminal_id: str, earned: int,
         stamp: str) -> None:
    """Keep a new sale's points apart (inside the sale's write transaction, in place of its ledger row)."""
    conn.execute(
        "INSERT INTO held_points (sale_id, account_id, store_id, terminal_id, points_earned, points, status, held_at)"
        " VALUES (?, ?, ?, ?, ?, ?, 'held', ?)",
        (sale_id, account_id, store_id, terminal_id, earned, earned, stamp),
    )


def _row(conn: Connection, sale_id: str) -> HeldPoints | None:
    row = conn.execute("SELECT * FROM held_points WHERE sale_id = ?", (sale_id.strip().lower(),)).fetchone()
    return None if row is None else HeldPoints(**{name: row[name] for name in HeldPoints.model_fields})


def waiting(conn: Connection, limit: int) -> list[HeldPoints]:
    """The holds still waiting for a decision, oldest first."""
    rows = conn.execute("SELECT sale_id FROM held_points WHERE status = 'held' ORDER BY held_at, sale_id LIMIT ?",
                        (limit,)).fetchall()
    return [held for row in rows if (held := _row(conn, row["sale_id"])) is not None]


def decide(conn: Connection, program: Program, sale_id: str, decision: str, holder: KeyHolder) -> HeldPoints:
    """Release or reverse a hold, inside a write transaction. The same decision again changes
    nothing and answers the same; the other one is 409 already_decided."""
    assert decision in DECISIONS
    held = _row(conn, sale_id)
    if held is None:
        raise ApiError(404, "not_found", "No sale with points held for review has that id.")
    if held.status == decision:
        return held
    if held.status != "held":
        raise ApiError(409, "already_decided", f"These points were {held.status} already.")
    stamp = utc_now()
    if decision == "released" and held.points:
        before = points(conn, held.account_id)
        conn.execute(
            "INSERT INTO ledger (account_id, delta, kind, sale_id, created_at) VALUES (?, ?, 'earn', ?, ?)",
            (held.account_id, held.points, held.sale_id, stamp),
        )
        account_changed(conn, program, held.account_id, before, {
            "cause": "points_released", "sale_id": held.sale_id, "store_id": held.store_id,
            "terminal_id": held.terminal_id,
        })
    conn.execute("UPDATE held_points SET status = ?, decided_at = ?, decided_by = ? WHERE sale_id = ?",
                 (decision, stamp, holder.key_id, held.sale_id))
    return held.model_copy(update={"status": decision, "decided_at": stamp, "decided_by": holder.key_id})


def reversal_to_ledger(conn: Connection, sale_id: str, reversed_points: int) -> int:
    """Of the points a return of this sale reverses, how many come off the ledger: all of them,
    unless the sale's points are held (they come off the hold) or were reversed (nothing to take)."""
    held = _row(conn, sale_id)
    if held is None or held.status == "released":
        return reversed_points
    if held.status == "held":
        conn.execute("UPDATE held_points SET points = ? WHERE sale_id = ?",
                     (max(0, held.points - reversed_points), held.sale_id))
    return 0
