"""Rewards reserved, then redeemed: a till that applies a reward holds its points until the sale.

A reservation is a hold, not a ledger row: balances stay sums over the ledger, and the points a
customer can spend now are the balance less the points held by live reservations. A hold ends
in one of three ways: the sale that names it redeems it (one ledger row per reward, as for any
sale), the till releases it (the basket was voided, the reward removed), or it expires by itself
(checked lazily: a held row past its expiry is simply not counted, and is marked expired the next
time anything writes). Every reserve runs inside BEGIN IMMEDIATE, so of two tills racing for the
same points one is served first and the other sees its hold.
"""

from __future__ import annotations

import json
import secrets
import time
from datetime import UTC, datetime

from pydantic import BaseModel, Field

from loyalty_service.accounts import points
from loyalty_service.clock import utc_now
from loyalty_service.database import Connection
from loyalty_service.errors import ApiError
from loyalty_service.program import Program
from loyalty_service.schemas import ErrorDetail, RequestBody

DEFAULT_TTL_SECONDS = 900  # 15 minutes: a long queue, not a lost till
MAX_TTL_SECONDS = 3600


class ReservationRequest(RequestBody):
    account_id: str = Field(max_length=64)
    rewards: list[str] = Field(min_length=1, max_length=20)
    store_id: str = Field(min_length=1, max_length=64)
    terminal_id: str = Field(min_length=1, max_length=64)
    ttl_seconds: int = Field(default=DEFAULT_TTL_SECONDS, ge=1, le=MAX_TTL_SECONDS)
    # A reservation of this till's that the new one takes the place of, released in the same
    # transaction (the cashier changed the rewards), so its points are not counted against it.
    replaces: str | None = Field(default=None, max_length=64)
    # Proof the customer is at the till (presence.py), from their identify: a till key needs it.
    presence: str | None = Field(default=None, max_length=160)


class Reservation(BaseModel):
    reservation_id: str
    account_id: str
    rewards: list[str]
    points_held: int
    status: str = Field(description="held, released, expired or redeemed")
    expires_at: str
    sale_id: str | None = None
    balance: int
    points_available: int = Field(description="the balance less every live hold, this one included")


def now() -> int:
    """Unix seconds; the tests move it."""
    return int(time.time())


def _rfc3339(unix_seconds: int) -> str:
    return datetime.fromtimestamp(unix_seconds, UTC).isoformat().replace("+00:00", "Z")


def expire_stale(conn: Connection) -> None:
    """Mark held rows past their expiry as expired. Call inside a write transaction."""
    conn.execute("UPDATE reservations SET status = 'expired' WHERE status = 'held' AND expires_at <= ?", (now(),))


def points_held(conn: Connection, account_id: str, *, excluding: str | None = None) -> int:
    """The points live reservations of this account hold, but for the one ``excluding`` names."""
    row = conn.execute(
        "SELECT COALESCE(SUM(points), 0) AS held FROM reservations"
        " WHERE account_id = ? AND status = 'held' AND expires_at > ? AND reservation_id <> COALESCE(?, '')",
        (account_id, now(), excluding),
    ).fetchone()
    return int(row["held"])


def reserve(conn: Connection, program: Program, body: ReservationRequest) -> Reservation:
    """Hold the rewards' points. Call inside BEGIN IMMEDIATE: the check and the insert are one step."""
    expire_stale(conn)
    if conn.execute("SELECT 1 FROM accounts WHERE account_id = ?", (body.account_id,)).fetchone() is None:
        raise ApiError(404, "not_found", "There is no such account.")
    cost = 0
    for index, reward_id in enumerate(body.rewards):
        reward = program.reward(reward_id)
        if reward is None or body.rewards.index(reward_id) != index:
            raise ApiError(422, "reward_not_available", "A reward is unknown or chosen twice.",
                           [ErrorDetail(field=f"rewards.{index}", problem="unknown or repeated")])
        cost += reward.cost
    if body.replaces is not None:
        conn.execute(
            "UPDATE reservations SET status = 'released' WHERE reservation_id = ? AND account_id = ?"
            " AND status = 'held'",
            (body.replaces, body.account_id),
        )
    balance, _ = points(conn, body.account_id)
    available = balance - points_held(conn, body.account_id)
    if cost > available:
        raise ApiError(422, "insufficient_points",
                       f"The rewards cost {cost} points; {available} are free to spend (others are held).")
    reservation_id = "res_" + secrets.token_hex(8)
    conn.execute(
        "INSERT INTO reservations (reservation_id, account_id, rewards, points, store_id, terminal_id, status,"
        " created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, 'held', ?, ?)",
        (reservation_id, body.account_id, json.dumps(body.rewards), cost, body.store_id, body.terminal_id,
         utc_now(), now() + body.ttl_seconds),
    )
    return get(conn, reservation_id)


def get(conn: Connection, reservation_id: str) -> Reservation:
    row = conn.execute("SELECT * FROM reservations WHERE reservation_id = ?", (reservation_id,)).fetchone()
    if row is None:
        raise ApiError(404, "not_found", "There is no such reservation.")
    status = row["status"]
    if status == "held" and row["expires_at"] <= now():
        status = "expired"  # lazily: the row itself is marked at the next write
    balance, _ = points(conn, row["account_id"])
    return Reservation(
        reservation_id=row["reservation_id"],
        account_id=row["account_id"],
        rewards=json.loads(row["rewards"]),
        points_held=row["points"] if status == "held" else 0,
        status=status,
        expires_at=_rfc3339(row["expires_at"]),
        sale_id=row["sale_id"],
        balance=balance,
        points_available=balance - points_held(conn, row["account_id"]),
    )


def release(conn: Connection, reservation_id: str) -> Reservation:
    """End a hold. Releasing one already released or expired changes nothing; a redeemed one stays
    redeemed (its points were spent by its sale). Call inside a write transaction."""
    expire_stale(conn)
    conn.execute("UPDATE reservations SET status = 'released' WHERE reservation_id = ? AND status = 'held'",
                 (reservation_id,))
    return get(conn, reservation_id)


def available_for_sale(conn: Connection, account_id: str, balance: int, reservation_id: str | None) -> int:
    """What a sale may spend: the balance less the points other live reservations hold.

    The sale's own reservation, if it names one and it is still held, is not counted against it;
    one that expired, was released or redeemed is simply not there, so the sale then needs the
    points to be free, as a sale without a reservation does (an outbox replaying a sale after its
    hold expired is served when the points are there, refused insufficient_points when not).
    """
    if reservation_id is not None:
        row = conn.execute("SELECT account_id FROM reservations WHERE reservation_id = ?",
                           (reservation_id,)).fetchone()
        if row is not None and row["account_id"] != account_id:
            raise ApiError(422, "invalid_request", "The reservation belongs to another account.",
                           [ErrorDetail(field="reservation_id", problem="another account's")])
    return balance - points_held(conn, account_id, excluding=reservation_id)


def redeem(conn: Connection, reservation_id: str | None, sale_id: str) -> None:
    """The sale spent the reserved points: the hold ends with it (whatever its state, it is consumed)."""
    if reservation_id is None:
        return
    conn.execute(
        "UPDATE reservations SET status = 'redeemed', sale_id = ? WHERE reservation_id = ? AND status != 'redeemed'",
        (sale_id, reservation_id),
    )
